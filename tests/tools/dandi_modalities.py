# Prints, one line per file, the modalities part of the name `dandi organize` gives an NWB file,
# derived the way it derives them, independently of the module: the neurodata_type of every
# group (the file itself left out), each mapped to the pynwb module that defines it
# (pynwb.ophys -> "ophys"), with the generic modules (base, device, file, misc) and types pynwb
# does not define (extensions) giving none; sorted and joined with "+". Needs pynwb (the
# validator set) and h5py.
import inspect
import sys

import h5py
import pynwb


def module_of_types():
    modules = {}
    for value in vars(pynwb).values():
        if not (inspect.ismodule(value) and value.__name__.startswith("pynwb.")):
            continue
        for member in vars(value).values():
            if inspect.isclass(member) and issubclass(member, pynwb.core.NWBMixin):
                parts = member.__module__.split(".")
                if len(parts) == 2:
                    modules[member.__name__] = parts[1]
    return modules


def group_types(group, found):
    kind = group.attrs.get("neurodata_type")
    if kind is not None:
        found.add(kind.decode() if isinstance(kind, bytes) else str(kind))
    for item in group.values():
        if isinstance(item, h5py.Group):
            group_types(item, found)
    return found


def main(paths):
    modules = module_of_types()
    for path in paths:
        with h5py.File(path, "r") as f:
            types = group_types(f, set()) - {"NWBFile"}
        found = {modules[t] for t in types if t in modules} - {"base", "device", "file", "misc"}
        print("+".join(sorted(found)))


main(sys.argv[1:])
