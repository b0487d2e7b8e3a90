"""The machine facts every benchmark records beside its figures."""

import os
import platform
from datetime import UTC, datetime


def machine(**extra: object) -> dict[str, object]:
    """Cores, memory, Python, platform and the time of the run (plus any ``extra`` facts)."""
    pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    facts: dict[str, object] = {
        "cores": os.cpu_count(),
        "memory_gb": round(pages / 2**30, 1),
        "python": platform.python_version(),
    }
    facts.update(extra)
    facts.update({
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    })
    return facts
