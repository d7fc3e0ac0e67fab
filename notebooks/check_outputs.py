"""Fails (exit 1) when an executed notebook has an error output, or a code cell expected to show a picture has none.

A notebook is executed by nbconvert, which stops at the first failing cell; this also catches a notebook that was
written with an error output and checks that pictures reached the notebook as image/png outputs.
"""
import json
import sys

nb = json.load(open(sys.argv[1]))
errors, images = [], 0
for i, cell in enumerate(nb["cells"]):
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            errors.append(f"cell {i}: {out.get('ename')}: {out.get('evalue')}")
        if "image/png" in out.get("data", {}):
            images += 1
        if "text/html" in out.get("data", {}) and "<img" in "".join(out["data"]["text/html"]):
            images += 1
if errors:
    print("\n".join(errors), file=sys.stderr)
    sys.exit(1)
if images == 0:
    print(f"{sys.argv[1]}: no picture in the outputs", file=sys.stderr)
    sys.exit(1)
print(f"{sys.argv[1]}: {images} picture(s), no errors")
