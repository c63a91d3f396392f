"""Many small, valid CodeNet-layout problems, for concurrency tests."""

from __future__ import annotations

from pathlib import Path

HEADER = (
    "submission_id,problem_id,user_id,date,language,original_language,filename_ext,status,cpu_time,memory,code_size,"
    "accuracy"
)


def build_synthetic_corpus(root: Path, n_problems: int, per_problem: int) -> list[str]:
    ids = [f"p{10000 + i:05d}" for i in range(n_problems)]
    (root / "metadata").mkdir(parents=True, exist_ok=True)
    (root / "metadata" / "problem_list.csv").write_text(
        "id,name,dataset,time_limit,memory_limit,rating,tags,complexity\n"
        + "".join(f"{p},Problem {p},AIZU,1000,131072,,,\n" for p in ids)
    )
    for n, pid in enumerate(ids):
        rows = []
        folder = root / "data" / pid / "C++"
        folder.mkdir(parents=True)
        for k in range(per_problem):
            sid = f"s{n * per_problem + k:09d}"
            code = f"int main(){{return {k};}}\n"
            (folder / f"{sid}.cpp").write_text(code)
            rows.append(f"{sid},{pid},u{k % 7:09d},{1500000000 + k},C++,C++14,cpp,Accepted,{k},{k},{len(code)},1/1")
        (root / "metadata" / f"{pid}.csv").write_text(HEADER + "\n" + "\n".join(rows) + "\n")
        tests = root / "derived" / "input_output" / "data" / pid
        tests.mkdir(parents=True)
        (tests / "input.txt").write_text("1\n")
        (tests / "output.txt").write_text("1\n")
    return ids
