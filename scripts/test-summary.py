#!/usr/bin/env python3
"""Lists, per test project, how many tests passed, failed and were skipped, then every failed test with its message.

Reads the TRX files `dotnet test --logger trx` wrote under the folder given as the only argument.
Printed after the run so a failure is the last thing a CI log shows, not buried in interleaved output."""
import glob
import os
import sys
import xml.etree.ElementTree as ET

NS = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}


def main(folder: str) -> int:
    files = sorted(glob.glob(os.path.join(folder, "**", "*.trx"), recursive=True))
    if not files:
        print(f"test summary: no TRX files under {folder} (did a project fail to start?)")
        return 0
    failures = []
    print("test summary:")
    for path in files:
        root = ET.parse(path).getroot()
        counters = root.find("t:ResultSummary/t:Counters", NS)
        defs = {u.get("id"): u for u in root.iterfind("t:TestDefinitions/t:UnitTest", NS)}
        storage = next(iter(defs.values())).get("storage", "") if defs else path
        project = os.path.splitext(os.path.basename(storage))[0] or os.path.basename(path)
        c = counters.attrib if counters is not None else {}
        outcome = root.find("t:ResultSummary", NS)
        print(f"  {project}: {c.get('passed', '?')} passed, {c.get('failed', '?')} failed, "
              f"{int(c.get('notExecuted', 0) or 0)} skipped, {c.get('total', '?')} total"
              f" ({outcome.get('outcome') if outcome is not None else '?'})")
        for r in root.iterfind("t:Results/t:UnitTestResult", NS):
            if r.get("outcome") != "Failed":
                continue
            message = (r.findtext("t:Output/t:ErrorInfo/t:Message", "", NS) or "").strip()
            stack = (r.findtext("t:Output/t:ErrorInfo/t:StackTrace", "", NS) or "").strip().splitlines()[:6]
            failures.append((project, r.get("testName"), r.get("duration"), message, stack))
        # a run that aborted (test host crash) has no failed result but an error in the run's own messages
        for text in root.iterfind("t:ResultSummary/t:RunInfos/t:RunInfo/t:Text", NS):
            if text.text and text.text.strip():
                print(f"    run info: {text.text.strip()[:2000]}")
    if failures:
        print(f"\nFAILED TESTS ({len(failures)}):")
        for project, name, duration, message, stack in failures:
            print(f"- {project}: {name} [{duration}]")
            for line in message.splitlines()[:40]:
                print(f"    {line}")
            for line in stack:
                print(f"      {line.strip()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "TestResults"))
