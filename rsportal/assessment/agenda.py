"""Ordering the meeting so that conflicted members leave the room as few times as possible.

A member leaves the room when an item they are conflicted on follows one they were not
conflicted on. With C(i) the set of members conflicted on item i, an order costs
|C(first)| + sum |C(next) - C(previous)|. Items with the same conflict set belong
together (moving between them costs nothing), so the order is found over the distinct
sets: exactly by dynamic programming over subsets when there are at most 12 distinct
sets (the usual case: most items have no conflicts), by nearest neighbour otherwise.
"""

from itertools import groupby


def leaves(order: list[frozenset]) -> int:
    total, previous = 0, frozenset()
    for conflicted in order:
        total += len(conflicted - previous)
        previous = conflicted
    return total


def _exact(groups: list[frozenset]) -> list[int]:
    n = len(groups)
    # best[(mask, last)] = (cost, previous last)
    best: dict[tuple[int, int], tuple[int, int]] = {}
    for i in range(n):
        best[(1 << i, i)] = (len(groups[i]), -1)
    for mask in range(1, 1 << n):
        for last in range(n):
            if (mask, last) not in best:
                continue
            cost = best[(mask, last)][0]
            for nxt in range(n):
                if mask & (1 << nxt):
                    continue
                key = (mask | (1 << nxt), nxt)
                candidate = cost + len(groups[nxt] - groups[last])
                if key not in best or candidate < best[key][0]:
                    best[key] = (candidate, last)
    full = (1 << n) - 1
    last = min(range(n), key=lambda i: (best[(full, i)][0], i))
    order, mask = [], full
    while last != -1:
        order.append(last)
        previous = best[(mask, last)][1]
        mask &= ~(1 << last)
        last = previous
    return list(reversed(order))


def _greedy(groups: list[frozenset]) -> list[int]:
    remaining = set(range(len(groups)))
    order, previous = [], frozenset()
    while remaining:
        nxt = min(remaining, key=lambda i: (len(groups[i] - previous), -len(groups[i] & previous), i))
        order.append(nxt)
        remaining.remove(nxt)
        previous = groups[nxt]
    return order


def order_items(items: list, conflicted_on) -> list:
    """Items in meeting order; `conflicted_on(item)` gives the set of conflicted member ids.
    Items keep their given (priority) order within a group."""
    if not items:
        return []
    keyed = [(frozenset(conflicted_on(item)), index, item) for index, item in enumerate(items)]
    distinct: list[frozenset] = []
    for conflicted, _index, _item in keyed:
        if conflicted not in distinct:
            distinct.append(conflicted)
    sequence = _exact(distinct) if len(distinct) <= 12 else _greedy(distinct)
    position = {distinct[g]: p for p, g in enumerate(sequence)}
    keyed.sort(key=lambda row: (position[row[0]], row[1]))
    return [item for _conflicted, _index, item in keyed]


def count_leaves(items: list, conflicted_on) -> int:
    return leaves([frozenset(conflicted_on(item)) for item in items])


def runs(items: list, conflicted_on):
    """(member id, first index, last index) for each time a member is out of the room."""
    members = set().union(*(conflicted_on(i) for i in items)) if items else set()
    for member in sorted(members):
        flags = [member in conflicted_on(item) for item in items]
        index = 0
        for out, block in groupby(flags):
            length = len(list(block))
            if out:
                yield member, index, index + length - 1
            index += length
