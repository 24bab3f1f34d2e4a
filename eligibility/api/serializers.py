"""Prescreen API: candidates in (variable name → value), one result per candidate out."""

from decimal import Decimal

from drf_spectacular.extensions import OpenApiSerializerExtension
from rest_framework import serializers

from eligibility.domain.engine import Verdict
from trialsite.protocols import all_protocols
from trialsite.protocols.criteria import VariableType

#: More candidates than this in one request is refused (split the batch).
MAX_CANDIDATES = 5000

#: The schema of one value: the engine parses strings; numbers and null are accepted too.
VALUE_SCHEMA = {"anyOf": [{"type": "string"}, {"type": "number"}], "nullable": True}


def _json_type(value):
    """The JSON kind of ``value``, in words, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean (coded answers are strings such as \"Y\" or \"N\")"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, dict):
        return "an object"
    return "an array"


def value_as_text(value):
    """Return a JSON value as the string the engine parses, or None; raise ValueError if unfit."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        raise ValueError(f"expected a string, a number or null, not {_json_type(value)}")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # Through the shortest repr, never an exponent: 0.0000001 is "0.0000001", not "1e-07".
        return format(Decimal(repr(value)), "f")
    raise ValueError(f"expected a string, a number or null, not {_json_type(value)}")


class PrescreenListSerializer(serializers.ListSerializer):
    """The request body: a list of at most ``MAX_CANDIDATES`` candidate objects.

    Errors name the item (0-based index) and the field:
    ``{"detail": "item 3, field who_ps: …", "errors": {"3": {"who_ps": ["…"]}}}``.
    """

    def run_validation(self, data=serializers.empty):
        # Straight to the checks below, so that every refusal has the same shape.
        return self.to_internal_value(data)

    def to_internal_value(self, data):
        if not isinstance(data, list):
            raise serializers.ValidationError({
                "detail": "The body must be a JSON list of candidate objects, "
                          f"not {_json_type(data)}."
            })
        if len(data) > MAX_CANDIDATES:
            raise serializers.ValidationError({
                "detail": f"At most {MAX_CANDIDATES} candidates per request, got {len(data)}: "
                          "split the batch."
            })
        candidates, errors, first = [], {}, []
        for index, item in enumerate(data):
            try:
                candidates.append(self.child.run_validation(item))
            except serializers.ValidationError as error:
                errors[str(index)] = error.detail
                first.extend(_messages(index, error.detail))
        if errors:
            more = len(first) - 1
            more = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
            raise serializers.ValidationError({"detail": first[0] + more, "errors": errors})
        return candidates


def _messages(index, detail):
    if isinstance(detail, dict):
        return [f"item {index}, field {field}: {message}"
                for field, messages in detail.items() for message in messages]
    return [f"item {index}: {message}" for message in detail]


class PrescreenCandidateSerializer(serializers.Serializer):
    """One candidate: variable name → value (string, number or null), ``candidate_id`` included.

    Validated into variable name → string or None, the form the engine parses.
    """

    class Meta:
        list_serializer_class = PrescreenListSerializer

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError(
                [f"expected an object of variable values, not {_json_type(data)}"]
            )
        values, errors = {}, {}
        for name, value in data.items():
            try:
                values[name] = value_as_text(value)
            except ValueError as error:
                errors[name] = [str(error)]
        if errors:
            raise serializers.ValidationError(errors)
        return values

    def run_validation(self, data=serializers.empty):
        # No field-level machinery: the keys are the study's variables, checked by the engine.
        return self.to_internal_value(data)


class PrescreenCandidateSchema(OpenApiSerializerExtension):
    """Documents a candidate with every declared variable of every study as a property."""

    target_class = PrescreenCandidateSerializer

    def map_serializer(self, auto_schema, direction):
        properties = {}
        studies_of = {}
        for protocol in all_protocols():
            for variable in protocol.eligibility_variables:
                studies_of.setdefault(variable.name, []).append(protocol.code)
                if variable.name in properties:
                    continue
                words = [variable.label]
                if variable.unit:
                    words.append(f"unit {variable.unit}")
                if variable.codes:
                    words.append("codes " + ", ".join(variable.codes))
                if variable.type is VariableType.DATE:
                    words.append("YYYY-MM-DD")
                properties[variable.name] = {**VALUE_SCHEMA, "description": "; ".join(words)}
        for name, codes in studies_of.items():
            properties[name]["description"] += f" ({', '.join(codes)})"
        return {
            "type": "object",
            "description": (
                "One candidate: the study's screening variables by name, as strings (numbers "
                "and null are accepted). A blank or absent value counts as missing; a name the "
                "study does not declare is ignored and noted in the result's errors."
            ),
            "properties": properties,
            "additionalProperties": VALUE_SCHEMA,
            "required": ["candidate_id"],
        }


class PrescreenResultSerializer(serializers.Serializer):
    """One candidate's prescreen, in the input order."""

    candidate_id = serializers.CharField()
    result = serializers.ChoiceField(choices=[v.value for v in Verdict])
    failed = serializers.ListField(
        child=serializers.CharField(), help_text="Codes of the criteria not met, sorted"
    )
    missing = serializers.ListField(
        child=serializers.CharField(), help_text="Variables still needed, sorted"
    )
    errors = serializers.ListField(
        child=serializers.CharField(),
        help_text="Values that could not be read (they count as missing), and ignored names",
    )


class PrescreenErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = serializers.DictField(
        required=False,
        help_text="By item index (0-based): the field's messages, or the item's messages",
    )
