"""Prints the unittest case ids ("Class.test_name") of one test script, one per line.

CMake runs this at configure time so that every case becomes its own CTest test (the CTest summary
then counts cases, not files). Importing a test module starts no broker: brokers start in setUp.
"""

import importlib.util
import os
import sys
import unittest


def case_ids(path):
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    suite = unittest.TestLoader().loadTestsFromModule(module)

    def walk(s):
        for t in s:
            if isinstance(t, unittest.TestSuite):
                yield from walk(t)
            else:
                yield t.id().split(".", 1)[1]  # drop the module name

    return list(walk(suite))


if __name__ == "__main__":
    for case in case_ids(sys.argv[1]):
        print(case)
