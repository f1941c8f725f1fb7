#!/usr/bin/python3
"""Runs onnx's own checker on ONNX files: onnx.checker.check_model(path, full_check=True), which validates the graph
against the operator schemas of its opsets and runs shape inference. Prints one line per file; exits 1 when any fails.

Usage (needs Debian's python3-onnx):  /usr/bin/python3 tools/check_onnx.py MODEL.onnx [MODEL.onnx ...]
"""
import sys

import onnx


def main(paths):
    if not paths:
        print("usage: check_onnx.py MODEL.onnx [MODEL.onnx ...]", file=sys.stderr)
        return 2
    failed = 0
    for path in paths:
        try:
            onnx.checker.check_model(path, full_check=True)
            model = onnx.load(path)
            opsets = ", ".join(f"{o.domain or 'ai.onnx'} {o.version}" for o in model.opset_import)
            print(f"onnx checker: {path}: ok (ir_version {model.ir_version}, opset {opsets}, {len(model.graph.node)} nodes)")
        except Exception as error:  # the checker raises ValidationError, loading raises DecodeError or OSError
            failed += 1
            message = " ".join(str(error).split())
            print(f"onnx checker: {path}: FAILED: {message}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
