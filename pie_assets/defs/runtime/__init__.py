"""Group `runtime`: per problem partition, every submission measured on its tests
(`runtime_annotations`, `submission_runtimes`); the config sensor and runtime automation."""
