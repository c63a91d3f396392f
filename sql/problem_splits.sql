-- Problem-level train/val/test: seeded by default, an explicit list (a CSV, or PIE's own split) overrides.
with known as (
    select problem_id from problems
    union
    select distinct problem_id from submission_runtimes
),

seeded as (
    select
        problem_id,
        md5_number_upper('{{ var("split_seed") }}:' || problem_id) / 18446744073709551616.0 as u
    from known
),

overrides as (
    select
        null::varchar as problem_id,
        null::varchar as split,
        null::varchar as split_source,
        null::int as priority
    where false
    {% if var('split_file') %}
        union all
        select
            problem_id,
            split,
            'file' as split_source,
            1 as priority
        from
            read_csv(
                '{{ var("split_file") }}',
                header = true,
                columns = { 'problem_id': 'VARCHAR', 'split': 'VARCHAR' }
            )
    {% endif %}
    {% if var('split_from_pie_pairs') %}
        union all
        select
            problem_id,
            min(split) as split,
            'pie_pairs' as split_source,
            2 as priority
        from pie_pairs
        group by problem_id
    {% endif %}
),

chosen as (
    select
        problem_id,
        arg_min(split, priority) as split,
        arg_min(split_source, priority) as split_source
    from overrides
    group by problem_id
)

select
    k.problem_id,
    coalesce(
        c.split,
        case
            when s.u < {{ var('split_test_ratio') }} then 'test'
            when s.u < {{ var('split_test_ratio') }} + {{ var('split_val_ratio') }} then 'val'
            else 'train'
        end
    ) as split,
    coalesce(c.split_source, 'seed') as split_source,
    s.u as split_draw
from known as k
inner join seeded as s using (problem_id)
left join chosen as c using (problem_id)
order by k.problem_id
