"""What the domain folders share: the resources (CodeNet source, lake, IO manager, simulator), the
problem partitions and their batching, table checks and docs (`TableCheck`, `TableDoc`), code
versions of modules, and the settings being built for (`loading`). Nothing here is a definition
itself, and nothing here imports a domain folder."""
