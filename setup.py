"""Build of heapscope's C core (heapscope._core).

Flags: always -Wall -Wextra -Werror.  HEAPSCOPE_SANITIZE=1 builds the
ASan+UBSan variant used by .ci/run (load it with LD_PRELOAD=libasan.so).
"""
import glob
import os
import sys
import sysconfig

from setuptools import Extension, setup

if sys.version_info < (3, 9) or sys.version_info >= (3, 14):
    sys.exit("heapscope supports CPython 3.9 to 3.13; this is %s" % sys.version.split()[0])
if sysconfig.get_config_var("Py_GIL_DISABLED"):
    sys.exit("heapscope needs a GIL build of CPython; free-threaded builds are not supported")
if sys.implementation.name != "cpython":
    sys.exit("heapscope walks CPython's heap; %s is not supported" % sys.implementation.name)

cflags = ["-std=gnu11", "-O3", "-Wall", "-Wextra", "-Werror", "-fno-strict-aliasing",
          "-fvisibility=hidden"]
ldflags = []
if os.environ.get("HEAPSCOPE_SANITIZE"):
    san = ["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-fno-sanitize-recover=undefined"]
    cflags = [f for f in cflags if f != "-O3"] + ["-O1", "-g"] + san
    ldflags += san

setup(
    ext_modules=[
        Extension(
            "heapscope._core",
            sources=sorted(glob.glob("csrc/*.c")),
            depends=sorted(glob.glob("csrc/*.h")),
            include_dirs=["csrc"],
            extra_compile_args=cflags,
            extra_link_args=ldflags,
        )
    ],
)
