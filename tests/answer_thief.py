"""The attack a reviewer's program made on the judge: read the problems file,
find the test whose input is this program's stdin, print its stored output.
Shared by the sandbox's and the judge's tests."""

from __future__ import annotations

import json


def answer_thief(problem_files: list[str]) -> str:
    """A program that looks up its own expected output in ``problem_files``
    (CodeContests JSON lines, gzipped or not). It prints the answer when it
    finds one, else nothing, and says on stderr what each file did."""
    return f"""
import gzip, json, sys
wanted = sys.stdin.read()
for path in {json.dumps(problem_files)}:
    try:
        handle = gzip.open(path, "rt") if path.endswith(".gz") else open(path)
        with handle:
            for line in handle:
                record = json.loads(line)
                for kind in ("public_tests", "private_tests", "generated_tests"):
                    tests = record.get(kind) or {{"input": [], "output": []}}
                    for test_input, test_output in zip(tests["input"], tests["output"]):
                        if test_input == wanted:
                            print(test_output, end="")
                            print("stole it from", path, file=sys.stderr)
                            sys.exit(0)
        print("read", path, "but found no answer", file=sys.stderr)
    except OSError as error:
        print("could not read", path, type(error).__name__, file=sys.stderr)
"""
