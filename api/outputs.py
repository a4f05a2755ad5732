"""Output serializers on hot paths: fields built once per class, not once per answer.

DRF builds a serializer's fields afresh for every instance (a ``ModelSerializer`` introspects
the model each time): on a bid submission that cost more than the database work. A serializer
that only writes answers out (no input, no per-request context in its fields) can build them
once; ``BuiltOnce`` does that and otherwise follows ``Serializer.to_representation`` exactly,
so the answers (and the OpenAPI schema, which still reads the class) are the same.
"""

from __future__ import annotations

import threading

from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject

_lock = threading.Lock()


class BuiltOnce:
    """Mix in before a DRF serializer class whose fields need no request context."""

    _built_fields: list | None = None

    @classmethod
    def _readable(cls) -> list:
        fields = cls.__dict__.get("_built_fields")
        if fields is None:
            with _lock:
                fields = cls.__dict__.get("_built_fields")
                if fields is None:
                    template = cls()  # bound once; SerializerMethodFields call its methods
                    fields = [f for f in template.fields.values() if not f.write_only]
                    cls._built_fields = fields
        return fields

    def to_representation(self, instance) -> dict:
        out = {}
        for field in self._readable():
            try:
                attribute = field.get_attribute(instance)
            except SkipField:
                continue
            check = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
            out[field.field_name] = None if check is None else field.to_representation(attribute)
        return out
