"""Column definitions of `meta.k8s.io/v1` Tables, and the printer type each kind registers.

A printer returns every cell, priority-1 ones included: kube-apiserver's table convertor prints with
`Wide: true`, and kubectl hides priority-1 columns unless asked for `-o wide`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sugarlab.common.objects import Obj

# ObjectMeta's API documentation, which kube-apiserver gives as these columns' descriptions.
NAME_DOC = (
    "Name must be unique within a namespace. Is required when creating resources, although some resources "
    "may allow a client to request the generation of a name automatically. Name is primarily intended for "
    "creation idempotence and configuration definition. Cannot be updated. More info: "
    "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"
)
CREATED_DOC = (
    "CreationTimestamp is a timestamp representing the server time when this object was created. It is not "
    "guaranteed to be set in happens-before order across separate operations. Clients may not set this "
    "value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null "
    "for lists. More info: "
    "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"
)
CONTAINERS_DOC = "Names of each container in the template."
IMAGES_DOC = "Images referenced by each container in the template."


@dataclass(frozen=True)
class Column:
    name: str
    type: str = "string"
    priority: int = 0
    description: str = ""
    format: str = ""

    def definition(self) -> Obj:
        return {
            "name": self.name,
            "type": self.type,
            "format": self.format,
            "description": self.description,
            "priority": self.priority,
        }


NAME = Column("Name", format="name", description=NAME_DOC)
AGE = Column("Age", description=CREATED_DOC)
CONTAINERS = Column("Containers", priority=1, description=CONTAINERS_DOC)
IMAGES = Column("Images", priority=1, description=IMAGES_DOC)
SELECTOR = Column("Selector", priority=1)


def no_conditions(obj: Obj) -> list[Obj]:
    return []


@dataclass(frozen=True)
class Printer:
    columns: tuple[Column, ...]
    cells: Callable[[Obj, datetime], list[Any]]
    # A row's conditions (metav1.TableRowCondition): kubectl's printer marks completed rows by them.
    conditions: Callable[[Obj], list[Obj]] = no_conditions
