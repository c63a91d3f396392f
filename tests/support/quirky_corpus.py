"""A CodeNet-layout corpus built by the tests with every real quirk ingestion must survive."""

from __future__ import annotations

from pathlib import Path

HEADER = (
    "submission_id,problem_id,user_id,date,language,original_language,filename_ext,status,cpu_time,memory,code_size,"
    "accuracy"
)
CPP_OK = b'#include <cstdio>\nint main(){int a,b;scanf("%d %d",&a,&b);printf("%d\\n",a+b);}\n'
# "// 足し算" in Shift-JIS: not valid UTF-8, must be kept byte-exact.
CPP_SJIS = b"// \x91\xab\x82\xb5\x8eZ\n#include <cstdio>\nint main(){return 0;}\n"
CPP_GARBAGE = b"// \xff\xfe\x80 odd bytes\nint main(){}\n"


def _write(path: Path, data: bytes | str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)


def build_quirky_corpus(base: Path) -> tuple[Path, Path]:
    """Returns (codenet_root, extra_tests_dir)."""
    root = base / "Project_CodeNet"
    extra = base / "extra_tests"
    md = root / "metadata"
    _write(
        md / "problem_list.csv",
        "\r\n".join(
            [
                "id,name,dataset,time_limit,memory_limit,rating,tags,complexity",
                "p00001,A + B,AIZU,1000,131072,,,",
                "p00002,Broken metadata,AIZU,,,,,",
                "p00003,No tests,AtCoder,abc,1048576,,,",
                "pXYZ,Bad id,AIZU,1000,1000,,,",
                "p00005,Too few fields,AIZU",
                "p00001,Duplicate,AIZU,1000,131072,,,",
            ]
        )
        + "\r\n",
    )

    rows = [
        "s000000001,p00001,u000000001,1480319506,C++,C++14,cpp,Accepted,60,15496,80,4/4",
        "s000000002,p00001,u000000001,1480319600,C++,C++14,cpp,Wrong Answer,-1,,80,0/4",
        "s000000003,p00001,u000000002,1480319700,Java,Java8,java,Accepted,100,20000,300,4/4",
        "s000000004,p00001,u000000002,1480319800,C++,C++ (GCC 9.2.1),cpp,Accepted,5,3644,60,",
        "s000000005,p00001,u000000003,1480319900,C++,C++14,cpp,Accepted,10,1000,50,4/4",
        "s000000006,p00001,u000000003,1480320000,C++,C++14,cpp,Accepted,10,1000",
        "s000000001,p00001,u000000009,1480320100,C++,C++14,cpp,Accepted,10,1000,50,4/4",
        "bogus,p00001,u000000003,1480320200,C++,C++14,cpp,Accepted,10,1000,50,4/4",
        "s000000007,p00009,u000000003,1480320300,C++,C++14,cpp,Accepted,10,1000,50,4/4",
        "s000000008,p00001,u000000004,1480320400,C++,C++14,cpp,Accepted,10,1000,50,4/4",
        "s000000009,p00001,,1480320500,C++,C++14,cpp,Compile Error,,,50,",
    ]
    _write(md / "p00001.csv", "\r\n".join([HEADER, *rows]) + "\r\n")
    data = root / "data" / "p00001"
    _write(data / "C++" / "s000000001.cpp", CPP_OK)
    _write(data / "C++" / "s000000002.cpp", CPP_SJIS)
    _write(data / "Java" / "s000000003.java", "class Main{}")
    _write(data / "C" / "s000000004.cpp", CPP_OK)  # a C++ source in the wrong language folder
    # s000000005 has no source file at all
    _write(data / "C++" / "s000000008.cpp", CPP_GARBAGE)
    _write(data / "C++" / "s000000009.cpp", "int main( {")
    _write(data / "C++" / "s999999999.cpp", CPP_OK)  # a source with no metadata row
    derived = root / "derived" / "input_output" / "data" / "p00001"
    _write(derived / "input.txt", "1 2\r\n")
    _write(derived / "output.txt", "3\r\n")
    _write(
        root / "problem_descriptions" / "p00001.html",
        "<H1>A + B</H1><H2>Sample Input 1</H2>\n<pre>\n1 2\n</pre>\n"
        "<H2>Output for the Sample Input 1</H2>\n<pre>\n3\n</pre>\n"
        "<H2>Sample Input 2</H2>\n<pre>\n10 20\n</pre>\n<H2>Output for the Sample Input 2</H2>\n<pre>\n30\n</pre>\n",
    )
    _write(extra / "p00001" / "input.0.txt", "5 6\n")
    _write(extra / "p00001" / "output.0.txt", "11\n")
    _write(extra / "p00001" / "input.1.txt", "7 8\n")  # no output.1.txt
    _write(extra / "p00001" / "notes.md", "not a test")

    _write(md / "p00002.csv", "submission_id;problem_id;user_id\ns1;p00002;u1\n")
    _write(root / "data" / "p00002" / "C++" / "s000000020.cpp", CPP_OK)

    _write(
        md / "p00003.csv",
        HEADER + "\n" + "s000000030,p00003,u000000001,1480319506,C++,C++14,cpp,Accepted,60,15496,80,\n",
    )
    _write(root / "data" / "p00003" / "C++" / "s000000030.cpp", CPP_OK)

    _write(md / "p00004.csv", HEADER + "\n")
    _write(
        root / "problem_descriptions" / "p00004.html",
        '<span class="lang-ja"><h3>入力例 1</h3><pre>1\n</pre><h3>出力例 1</h3><pre>1\n</pre></span>'
        '<span class="lang-en"><h3>Sample Input 1</h3><pre>1\n</pre><h3>Sample Output 1</h3><pre>1\n</pre></span>',
    )
    return root, extra
