# Kernel configuration for the project's environment: `make venv` installs this
# file as .venv/etc/ipython/ipython_kernel_config.py, where every IPython
# kernel started from that environment reads it (IPython's ENV_CONFIG_DIRS).
#
# Why it exists: each kernel that jupyter-book, papermill, nbval or
# `jupyter execute` starts logs "Kernel is running over TCP without
# encryption". Encryption (CurveZMQ) or IPC transport would have to be asked
# for by the kernel *manager*, and none of those tools reads Jupyter's config
# files or offers an option for it (nbclient builds its KernelManager with its
# own empty config; the manager's `transport_encryption` defaults to
# "disabled"). Those kernels listen on 127.0.0.1 only, for the few seconds a
# build or a rerun takes, so the notice tells a reader nothing they can act
# on. This drops that one message and no other log line of the kernel.
import logging


class _DropPlainTcpNotice(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Kernel is running over TCP without encryption")


logging.getLogger("IPKernelApp").addFilter(_DropPlainTcpNotice())
