"""Resolving CloudFormation intrinsic functions against the resources the local stack made."""

import re
from collections.abc import Callable, Mapping
from typing import Any

NO_VALUE = object()
_SUB = re.compile(r"\$\{([^}!][^}]*)\}")


class Unresolvable(Exception):
    pass


class Resolver:
    def __init__(
        self,
        *,
        parameters: Mapping[str, str],
        pseudo: Mapping[str, str],
        ref: Callable[[str], Any],
        get_att: Callable[[str, str], Any],
        conditions: Mapping[str, Any] | None = None,
    ) -> None:
        self.parameters = parameters
        self.pseudo = pseudo
        self.ref = ref
        self.get_att = get_att
        self.conditions = conditions or {}

    def __call__(self, value: Any) -> Any:
        if isinstance(value, list):
            return [r for r in (self(v) for v in value) if r is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self._ref(arg)
            if key == "Condition":
                return self.condition(arg)
            if key.startswith("Fn::"):
                return self._function(key[4:], arg)
        return {k: r for k, r in ((k, self(v)) for k, v in value.items()) if r is not NO_VALUE}

    def _ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        return self.ref(name)

    def condition(self, name: str) -> bool:
        return bool(self(self.conditions[name]))

    def _function(self, name: str, arg: Any) -> Any:
        match name:
            case "GetAtt":
                logical_id, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
                return self.get_att(logical_id, attribute)
            case "Sub":
                text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
                values = {k: self(v) for k, v in variables.items()}
                return _SUB.sub(lambda m: str(self._sub_value(m.group(1), values)), text)
            case "Join":
                separator, items = arg
                return separator.join(str(i) for i in self(items))
            case "Select":
                index, items = arg
                return self(items)[int(self(index))]
            case "Split":
                separator, text = arg
                return str(self(text)).split(separator)
            case "If":
                condition, yes, no = arg
                return self(yes) if self.condition(condition) else self(no)
            case "Equals":
                left, right = self(arg)
                return left == right
            case "Not":
                return not self(arg[0])
            case "And":
                return all(self(a) for a in arg)
            case "Or":
                return any(self(a) for a in arg)
            case "ToJsonString":
                import json

                return json.dumps(self(arg))
        raise Unresolvable(f"Fn::{name} is not supported by the local stack")

    def _sub_value(self, name: str, values: Mapping[str, Any]) -> Any:
        if name in values:
            return values[name]
        if "." in name:
            logical_id, attribute = name.split(".", 1)
            return self.get_att(logical_id, attribute)
        return self._ref(name)
