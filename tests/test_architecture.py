"""The floors of docs/architecture.md, checked on grimp's import graph (function-local imports
included): no import circle between any two modules, and no module importing a floor above its
own. `lint-imports` checks the floors in CI too; this runs with the README's `make test`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import grimp
import pytest

# Bottom to top: a module may import its own floor and the floors below.
FLOORS = ("procurement", "tenders", "bidders", "evaluation", "api")

Graph = Mapping[str, Iterable[str]]


def strongly_connected_components(graph: Graph) -> list[list[str]]:
    """Tarjan's algorithm, iterative (no recursion limit on a long import chain)."""
    index: dict[str, int] = {}
    lowlink: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = lowlink[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in graph:
                    continue
                if successor not in index:
                    index[successor] = lowlink[successor] = counter
                    counter += 1
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(graph[successor]))))
                    break
                if successor in on_stack:
                    lowlink[node] = min(lowlink[node], index[successor])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    lowlink[parent] = min(lowlink[parent], lowlink[node])
                if lowlink[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    components.append(sorted(component))
    return components


def cycle_through(graph: Graph, component: list[str]) -> list[str]:
    """One circle inside a strongly connected component, as a path that ends where it starts."""
    members = set(component)
    start = component[0]
    # Breadth-first from start's successors back to start: the shortest circle through it.
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for successor in sorted(graph[node]):
                if successor not in members or successor in previous:
                    continue
                previous[successor] = node
                if successor == start:
                    path = [start]
                    while path[-1] != start or len(path) == 1:
                        path.append(previous[path[-1]])
                    return path[::-1]
                following.append(successor)
        frontier = following
    raise AssertionError(f"{component} is not strongly connected")


def circles(graph: Graph) -> list[list[str]]:
    return [
        cycle_through(graph, component)
        for component in strongly_connected_components(graph)
        if len(component) > 1
    ]


def floor(module: str) -> int:
    return FLOORS.index(module.split(".", 1)[0])


def back_arrows(graph: Graph) -> list[tuple[str, str]]:
    return sorted(
        (importer, imported)
        for importer, imports in graph.items()
        for imported in imports
        if imported in graph and floor(imported) > floor(importer)
    )


@pytest.fixture(scope="module")
def imports() -> dict[str, set[str]]:
    # No cache: the xdist workers would share grimp's cache directory.
    graph = grimp.build_graph(*FLOORS, cache_dir=None)
    return {module: graph.find_modules_directly_imported_by(module) for module in graph.modules}


def _without_migrations(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    def kept(module: str) -> bool:
        return ".migrations" not in module

    return {m: {i for i in imports if kept(i)} for m, imports in graph.items() if kept(m)}


def test_no_import_circle_between_any_two_modules(imports):
    found = circles(_without_migrations(imports))
    assert found == [], "import circles:\n" + "\n".join(" -> ".join(c) for c in found)


def test_no_floor_imports_a_floor_above_it(imports):
    found = back_arrows(imports)
    assert found == [], "imports up a floor:\n" + "\n".join(f"{a} -> {b}" for a, b in found)


def test_the_graph_holds_every_floor_and_function_local_imports(imports):
    # Guards the two checks above against an empty or partial graph.
    assert {module.split(".", 1)[0] for module in imports} == set(FLOORS)
    # demo_custodians imports tenders.services.custody inside a function only.
    assert "tenders.services.custody" in imports["api.site.demo_custodians"]


def test_the_circle_finder_reports_a_circle_and_only_circles():
    graph = {
        "a": {"b"},
        "b": {"c"},
        "c": {"a", "d"},  # a -> b -> c -> a
        "d": {"e"},
        "e": set(),
        "f": {"f"},  # importing itself is not a circle between two modules
    }

    assert circles(graph) == [["a", "b", "c", "a"]]
    assert circles({"x": {"y"}, "y": set()}) == []


def test_the_floor_check_reports_an_import_up_a_floor():
    graph = {
        "tenders.services.drafting": {"procurement.ledger", "evaluation.models"},
        "procurement.ledger": set(),
        "evaluation.models": {"tenders.models"},
        "tenders.models": set(),
    }

    assert back_arrows(graph) == [("tenders.services.drafting", "evaluation.models")]
