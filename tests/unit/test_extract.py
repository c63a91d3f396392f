"""extract_program on realistic chat and completion responses, with the exact program expected."""

from __future__ import annotations

from pie_assets.evaluation.extract import Extracted, extract_program

PROGRAM = """#include <bits/stdc++.h>
using namespace std;
int main() {
    long long n;
    cin >> n;
    cout << n * (n + 1) / 2 << endl;
    return 0;
}
"""


def test_cpp_fence_among_prose() -> None:
    response = (
        "Here is an optimized version of your program. The loop is replaced by the closed form:\n\n"
        f"```cpp\n{PROGRAM}```\n\nThis runs in O(1) instead of O(n)."
    )
    assert extract_program(response) == Extracted(PROGRAM, "fenced")


def test_cpp_labelled_fence_preferred_over_unlabelled_and_other_languages() -> None:
    response = (
        "Compile it with:\n```bash\ng++ -std=c++17 -O3 main.cpp\n```\n"
        "Sample input:\n```\n5\n```\n"
        f"The program:\n```C++\n{PROGRAM}```\n"
    )
    assert extract_program(response) == Extracted(PROGRAM, "fenced")


def test_last_whole_program_wins_over_an_earlier_one_and_a_longer_fragment() -> None:
    original = (
        '#include <cstdio>\nint main() {\n    int n; scanf("%d", &n);\n    long long s = 0;\n'
        '    for (int i = 1; i <= n; i++) s += i;\n    printf("%lld\\n", s);\n}\n'
    )
    fragment = "// the hot loop, before and after:\n" + "for (int i = 1; i <= n; i++) s += i;\n" * 6
    response = (
        f"Your program:\n```cpp\n{original}```\nThe slow part:\n```cpp\n{fragment}```\n"
        f"Optimized:\n```cpp\n{PROGRAM}```\n"
    )
    assert extract_program(response) == Extracted(PROGRAM, "fenced")


def test_without_a_whole_program_the_longest_block() -> None:
    short = "s = n * (n + 1) / 2;\n"
    long = "long long s = 0;\nfor (int i = 1; i <= n; i++)\n    s += i;\n"
    response = f"Replace\n```cpp\n{long}```\nwith\n```cpp\n{short}```\n"
    assert extract_program(response) == Extracted(long, "fenced")


def test_tilde_fence_indented_in_a_list_and_close_glued_to_code() -> None:
    response = (
        "1. Use the formula:\n\n   ~~~c++\n   #include <iostream>\n   int main() {\n"
        "       std::cout << 42 << '\\n';\n   }\n   ~~~\n"
    )
    assert extract_program(response) == Extracted(
        "#include <iostream>\nint main() {\n    std::cout << 42 << '\\n';\n}\n", "fenced"
    )
    glued = '```cpp\n#include <cstdio>\nint main() { puts("ok"); }```\nDone.'
    assert extract_program(glued) == Extracted('#include <cstdio>\nint main() { puts("ok"); }\n', "fenced")


def test_truncated_inside_a_fence() -> None:
    response = (
        "Sure! Here is a faster version using fast I/O:\n\n```cpp\n#include <bits/stdc++.h>\n"
        "using namespace std;\nint main() {\n    ios::sync_with_stdio(false);\n    int n;\n    cin >>"
    )
    assert extract_program(response) == Extracted(
        "#include <bits/stdc++.h>\nusing namespace std;\nint main() {\n    ios::sync_with_stdio(false);\n"
        "    int n;\n    cin >>\n",
        "unterminated_fence",
    )


def test_closed_whole_program_preferred_over_a_truncated_second_one() -> None:
    response = f"```cpp\n{PROGRAM}```\nAn even faster one:\n```cpp\n#include <cstdio>\nint main() {{\n    int n"
    assert extract_program(response) == Extracted(PROGRAM, "fenced")


def test_completion_continuing_the_pie_template_is_cut_at_the_next_marker() -> None:
    response = (
        f"{PROGRAM}\n\n### Program:\n#include <cstdio>\nint main() {{ return 0; }}\n\n"
        "### Optimized Version with score 10/10:\n"
    )
    assert extract_program(response) == Extracted(PROGRAM, "unfenced")


def test_prose_before_and_after_raw_code() -> None:
    response = (
        f"The optimized program is shown below.\nIt avoids the quadratic loop.\n\n{PROGRAM}\n"
        "This version reads the input once and prints the sum directly.\n"
    )
    assert extract_program(response) == Extracted(PROGRAM, "unfenced")


def test_raw_code_starting_with_a_comment_or_a_declaration() -> None:
    commented = 'Answer:\n// O(1) closed form\n#include <cstdio>\nint main(){int n;scanf("%d",&n);}\n'
    assert extract_program(commented) == Extracted(
        '// O(1) closed form\n#include <cstdio>\nint main(){int n;scanf("%d",&n);}\n', "unfenced"
    )
    declared = "Try this:\nlong long memo[100005];\nint main() { return 0; }"
    assert extract_program(declared) == Extracted("long long memo[100005];\nint main() { return 0; }\n", "unfenced")


def test_raw_code_truncated_mid_function_keeps_everything() -> None:
    response = '#include <cstdio>\nint f(int x) {\n    return x * x;\n}\nint main() {\n    printf("%d", f(3));'
    assert extract_program(response) == Extracted(response + "\n", "unfenced")


def test_prose_only_is_returned_as_is() -> None:
    assert extract_program("  I cannot optimize this program further.\n") == Extracted(
        "  I cannot optimize this program further.\n", "unfenced"
    )


def test_empty_responses() -> None:
    assert extract_program("") == Extracted("", "empty")
    assert extract_program(" \n\t\n") == Extracted("", "empty")
    assert extract_program("Here you go:\n```cpp\n\n```\n") == Extracted("", "empty")
    assert extract_program("### Program:\n") == Extracted("", "empty")


def test_windows_line_endings() -> None:
    response = "```cpp\r\n#include <cstdio>\r\nint main() { return 0; }\r\n```\r\n"
    assert extract_program(response) == Extracted("#include <cstdio>\nint main() { return 0; }\n", "fenced")
