"""The metastatic levels: a chain that visits one or more distinct levels, cranial to caudal.

At each level: the metastasis Condition (sometimes unconfirmed; for myeloma the primary itself,
merged into one Condition afterwards), the five SINS findings (each sometimes not recorded) and
sometimes a Bilsky grade. The first level visited is the index level (attribute ``index_level``),
where a procedure, if any, is done.
"""

from __future__ import annotations

from synthea import gmf
from synthea import vocabulary as v
from synthea.builder import Builder
from synthea.observations import finding

__all__ = ["add_levels", "at"]

P_STOP = 0.55  # after each level, the chance there is no further level (mean ~1.8 levels)
P_PROVISIONAL = 0.08
P_BILSKY = 0.6
ADJACENT_BONUS = 3.0  # the next level down is this much likelier than any other


def at(coding: dict[str, str], *sites: str, flag: str | None = None) -> dict[str, str]:
    """The coding with a site directive: ``CODE@SITE+SITE;FLAG``."""
    directive = f"{coding['code']}@{'+'.join(sites)}" + (f";{flag}" if flag else "")
    return {**coding, "code": directive}


def add_levels(b: Builder, *, start: str, after: str) -> None:
    """States from ``start`` (choose the first level) through every level to ``after``."""
    b.choose(start, [(f"First_{lv}", w) for lv, w in v.LEVEL_WEIGHTS.items()])
    for index, level in enumerate(v.LEVELS):
        b.add(f"First_{level}", gmf.set_attribute("index_level", level, f"Met_{level}"))
        _metastasis(b, level, then=f"SINS_{level}_1")
        _sins(b, level, then=_bilsky(b, level, then=f"Next_After_{level}"))
        _next(b, index, level, after)


def _metastasis(b: Builder, level: str, *, then: str) -> None:
    """The lesion at the level: a metastasis (sometimes provisional), or the myeloma itself."""
    met = f"met_{level}"
    confirmed = gmf.onset(at(v.BONE_METASTASIS, level), then, assign=met)
    provisional = gmf.onset(
        at(v.BONE_METASTASIS_SNOMED, level, flag="provisional"), then, assign=met
    )
    # The Death state names the primary as cause: for myeloma that is this Condition.
    cause = {
        "type": "SetAttribute",
        "attribute": "primary_cancer",
        "value_attribute": met,
        "direct_transition": then,
    }
    myeloma = b.add(f"Myeloma_Primary_{level}", cause)
    myeloma_options = [
        (
            b.add(
                f"Met_{level}_Myeloma_{i}",
                gmf.onset(at(coding, level, flag="merge"), myeloma, assign=met),
            ),
            w,
        )
        for i, (coding, w) in enumerate(v.PRIMARIES["myeloma"][3])
    ]
    metastasis_options = [
        (b.add(f"Met_{level}_Confirmed", confirmed), 1 - P_PROVISIONAL),
        (b.add(f"Met_{level}_Provisional", provisional), P_PROVISIONAL),
    ]
    b.simple(
        f"Met_{level}",
        complex_transition=gmf.complex_transition(
            [(gmf.attr_is("primary_site", "myeloma"), myeloma_options), (None, metastasis_options)]
        ),
    )


def _sins(b: Builder, level: str, *, then: str) -> None:
    """The five SINS findings in turn, from state ``SINS_<level>_1`` to ``then``."""
    codes = list(v.SINS_ANSWERS)
    for n, code in enumerate(codes, start=1):
        here = f"SINS_{level}_{n}"
        after = f"SINS_{level}_{n + 1}" if n < len(codes) else then
        by_group = v.SINS_ANSWERS[code]
        states: dict[str, str] = {}
        for answers in by_group.values():
            for answer, _ in answers:
                if answer not in states:
                    states[answer] = b.add(
                        f"{here}_{answer}",
                        finding(
                            at({"code": code}, level)["code"],
                            answer,
                            category="exam" if code == "spinal-pain" else "imaging",
                            then=after,
                        ),
                    )
        branches = []
        for group, answers in by_group.items():
            weighted = [(states[a], w * (1 - v.SINS_MISSING)) for a, w in answers]
            condition = None if group == "*" else gmf.attr_is("lesion_group", group)
            branches.append((condition, [*weighted, (after, v.SINS_MISSING)]))
        # The fallback branch goes last.
        branches.sort(key=lambda branch: branch[0] is None)
        b.simple(here, complex_transition=gmf.complex_transition(branches))


def _bilsky(b: Builder, level: str, *, then: str) -> str:
    code = at({"code": "epidural-spinal-cord-compression"}, level)["code"]
    options = [
        (
            b.add(f"Bilsky_{level}_{grade}", finding(code, grade, category="imaging", then=then)),
            P_BILSKY * w,
        )
        for grade, w in v.BILSKY
    ]
    return b.choose(f"Bilsky_{level}", [*options, (then, 1 - P_BILSKY)])


def _next(b: Builder, index: int, level: str, after: str) -> None:
    below = v.LEVELS[index + 1 :]
    if not below:
        b.simple(f"Next_After_{level}", direct_transition=after)
        return
    weights = {
        lv: v.LEVEL_WEIGHTS[lv] * (ADJACENT_BONUS if i == 0 else 1.0) for i, lv in enumerate(below)
    }
    total = sum(weights.values())
    options = [(f"Met_{lv}", (1 - P_STOP) * w / total) for lv, w in weights.items()]
    b.choose(f"Next_After_{level}", [(after, P_STOP), *options])
