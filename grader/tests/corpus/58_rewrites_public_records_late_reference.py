# expect: {"status": ["ok"], "max_total": 12, "min_total": 12}
# [new] During a hidden call (after the hand-over of the hidden calls), rewrite every public
# call's record to say it raised: the public records are kept as they were at the hand-over,
# so the rewrite changes nothing and the reference keeps every point.
import glob as _glob
import json as _json
import os as _os

_honest_is_five = is_five


def is_five(digits):
    if len(digits) == 997:
        handed_over = _os.path.getmtime("out/public-done.json")
        for _path in _glob.glob("out/call-*.json"):
            if _os.path.getmtime(_path) > handed_over:
                continue  # a hidden call's record: its own to spoil
            try:
                record = _json.loads(open(_path).read())
                record["raised"] = {"type": "ValueError", "message": "rewritten", "frames": []}
                record["returned"] = None
                open(_path, "w").write(_json.dumps(record))
            except Exception:
                pass
    return _honest_is_five(digits)
