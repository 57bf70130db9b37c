# expect: {"status": ["ok"], "max_total": 12, "min_total": 12}
# [new] Search the job folder and /tmp for the hidden cases' inputs (17 unseen images,
# 997 unseen digits) at import; finding them fails the import. They must not be there yet.
import glob as _glob

import numpy as _np

_found = []
for _path in _glob.glob("**/*.npz", recursive=True) + _glob.glob("/tmp/**/*.npz", recursive=True):
    try:
        with _np.load(_path) as _arrays:
            _found += [_arrays[_n].shape for _n in _arrays.files
                       if _arrays[_n].shape in ((17, 28, 28), (997,))]
    except Exception:
        pass
if _found:
    raise RuntimeError(f"hidden inputs readable at import: {_found}")
