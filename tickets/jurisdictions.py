"""The jurisdiction tree, walked one way: from one parent map (`id -> parent id`, one query).

Agents act on their jurisdictions and every descendant; request types are offered in their
jurisdiction and its descendants; feeds and searches of a place include the places within it.
All of them ask here. Callers that walk many nodes pass one `parent_map()` as `parents`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from django.apps import apps

ParentMap = Mapping[int, int | None]


def parent_map() -> dict[int, int | None]:
    """Every jurisdiction's parent id, in one query."""
    # Looked up through the app registry, not imported: `tickets.models` delegates
    # `Jurisdiction.ancestor_ids` to this module.
    model = apps.get_model("tickets", "Jurisdiction")
    return dict(model._default_manager.values_list("id", "parent_id"))


def ancestor_ids(jurisdiction_id: int, *, parents: ParentMap | None = None) -> list[int]:
    """The jurisdiction and its ancestors, nearest first."""
    if parents is None:
        parents = parent_map()
    ids: list[int] = []
    node: int | None = jurisdiction_id
    while node is not None and node not in ids:
        ids.append(node)
        node = parents.get(node)
    return ids


def depth(jurisdiction_id: int, *, parents: ParentMap | None = None) -> int:
    """1 for a root, 2 for a place inside it, and so on."""
    return len(ancestor_ids(jurisdiction_id, parents=parents))


def descendant_ids(roots: Iterable[int], *, parents: ParentMap | None = None) -> frozenset[int]:
    """The given jurisdictions and every jurisdiction inside them."""
    wanted = set(roots)
    if not wanted:
        return frozenset()
    if parents is None:
        parents = parent_map()
    return frozenset(
        jid for jid in parents if not wanted.isdisjoint(ancestor_ids(jid, parents=parents))
    )


def descendant_ids_of_slug(slug: str) -> frozenset[int]:
    """The jurisdiction with this slug and every jurisdiction inside it (none if unknown)."""
    model = apps.get_model("tickets", "Jurisdiction")
    root = model._default_manager.filter(slug=slug).values_list("id", flat=True).first()
    if root is None:
        return frozenset()
    return descendant_ids([root])


def topmost(ids: Sequence[int], *, parents: ParentMap) -> list[int]:
    """Those of `ids` whose parent is not among them."""
    chosen = set(ids)
    return [jid for jid in ids if parents.get(jid) not in chosen]
