"""`var()` and `ref()` for sqlfluff's jinja templater (`.sqlfluff`'s `library_path`): the functions
a model is rendered with, over the dataset config's [vars], so sqlfluff lints the SQL that runs,
offline. sqlfluff makes this package's names the template's globals."""

from dbt_like.models import template_functions
from pie_assets.dataset.config import DatasetConfig

_FUNCTIONS = template_functions(DatasetConfig.load().vars)
var = _FUNCTIONS["var"]
ref = _FUNCTIONS["ref"]
