"""pylint plugin: the duplicate-code check (R0801) computed the same way, faster.

lint-python loads this plugin into pylint. It replaces one method, SimilarChecker._compute_sims,
and only when pylint's duplicate-code algorithm is byte for byte one that this module was checked
against (VERIFIED below). With any other pylint it does nothing and pylint runs as shipped.

Stock pylint compares every pair of files. For each pair it hashes both files again, and it works
with objects whose hashes collide (LineSetStartCouple hashes to i + j). Then it scans every group
found so far for each match. This module follows the same steps, with the same results in the same
order:
- each file's windows of lines are hashed once;
- pairs that share no window are skipped, since they can yield nothing;
- index pairs are plain tuples;
- the groups already found are a set.
"""

import hashlib
import inspect
import operator
from collections import defaultdict

try:
    from pylint.checkers import similar
except ImportError:  # pylint 3 renamed the module
    similar = None

# sha256 of the source of every function _compute_sims below stands in for, for each pylint
# version whose algorithm was read line by line and compared on generated trees.
VERIFIED = {
    "2.16": "2e3d00e90f1708eb123bbf6b7004df68efc89d0ce35984f0ae6bcdcbb67b2c6f",
}


def _algorithm_digest():
    parts = [
        similar.hash_lineset,
        similar.remove_successive,
        similar.filter_noncode_lines,
        similar.LinesChunk,
        similar.LineSetStartCouple,
        similar.Similar._compute_sims,
        similar.Similar._find_common,
        similar.Similar._iter_sims,
        similar.SimilarChecker.close,
    ]
    text = "".join(inspect.getsource(p) for p in parts) + similar.REGEX_FOR_LINES_WITH_CONTENT.pattern
    return hashlib.sha256(text.encode()).hexdigest()


class _Prepared:
    """One file's windows, hashed once: what hash_lineset returns, as plain values."""

    __slots__ = ("lineset", "hash_to_indices", "first", "limits", "texts", "content", "counted")

    def __init__(self, lineset, min_lines):
        self.lineset = lineset
        stripped = lineset.stripped_lines
        texts = [s.text for s in stripped]
        hashes = [hash(t) for t in texts]
        self.hash_to_indices = {}
        self.limits = []
        for i in range(len(texts) - min_lines + 1 if min_lines > 0 else 0):
            # LinesChunk._hash: the sum of the lines' hashes; chunks are equal when those sums are.
            key = sum(hashes[i : i + min_lines])
            self.hash_to_indices.setdefault(key, []).append(i)
            if i + min_lines < len(stripped):
                end = stripped[i + min_lines].line_number
            else:
                end = stripped[-1].line_number + 1
            self.limits.append((stripped[i].line_number, end))
        # the first index of each hash is LinesChunk._index of the chunk kept as the dict's key
        self.first = {h: idx[0] for h, idx in self.hash_to_indices.items()}
        content = similar.REGEX_FOR_LINES_WITH_CONTENT.match
        self.texts = texts
        # the lines with content, and counted[k]: how many of the first k lines have content, so that
        # the lines with content among texts[i:k] are content[counted[i]:counted[k]]
        self.content = [t for t in texts if content(t)]
        self.counted = [0]
        for t in texts:
            self.counted.append(self.counted[-1] + (1 if content(t) else 0))


def _find_common(one, two, min_lines):
    """Similar._find_common for one pair, yielding the same Commonality values in the same order."""
    common = one.hash_to_indices.keys() & two.hash_to_indices.keys()
    if not common:
        return
    # frozenset intersection keeps the elements of the smaller set (the second on a tie), and those
    # carry their own file's first index, which the second sort orders by.
    source = one if len(two.hash_to_indices) > len(one.hash_to_indices) else two
    order = sorted(common, key=lambda h: (source.first[h], one.first[h]))
    couples = {}
    for h in order:
        for i in one.hash_to_indices[h]:
            s1, e1 = one.limits[i]
            for j in two.hash_to_indices[h]:
                s2, e2 = two.limits[j]
                couples[(i, j)] = [s1, e1, s2, e2, min_lines]
    # remove_successive: fold each run of consecutive couples into the one visited first.
    for couple in tuple(couples):
        removed = []
        test = (couple[0] + 1, couple[1] + 1)
        while test in couples:
            record, following = couples[couple], couples[test]
            record[1] = following[1]
            record[3] = following[3]
            record[4] += 1
            removed.append(test)
            test = (test[0] + 1, test[1] + 1)
        for r in removed:
            couples.pop(r, None)
    for (i, j), (s1, e1, s2, e2, lines) in couples.items():
        # filter_noncode_lines: count equal lines among those with content; when the two runs of lines
        # are the same text, that is how many of them have content.
        a = one.content[one.counted[i] : one.counted[min(i + lines, len(one.texts))]]
        b = two.content[two.counted[j] : two.counted[min(j + lines, len(two.texts))]]
        effective = len(a) if a == b else sum(map(operator.eq, a, b))
        if effective > min_lines:
            yield lines, one.lineset, s1, e1, two.lineset, s2, e2


def _compute_sims(self):
    """Similar._compute_sims: the same list, built without rescanning."""
    min_lines = self.namespace.min_similarity_lines
    prepared = [_Prepared(ls, min_lines) for ls in self.linesets]
    # which files hold each window, to find the partners of a file without trying all of them
    holders = defaultdict(set)
    for n, p in enumerate(prepared):
        for h in p.hash_to_indices:
            holders[h].add(n)
    no_duplicates = {}
    seen = defaultdict(set)
    for n, one in enumerate(prepared[:-1]):
        partners = set()
        for h in one.hash_to_indices:
            partners.update(holders[h])
        for m in sorted(k for k in partners if k > n):
            for num, ls1, s1, e1, ls2, s2, e2 in _find_common(one, prepared[m], min_lines):
                # Stock pylint drops a match when either side already belongs to a group with the same
                # number of lines, and otherwise starts a group of the two.
                first, second = (ls1, s1, e1), (ls2, s2, e2)
                group = seen[num]
                if first in group or second in group:
                    continue
                group.add(first)
                group.add(second)
                no_duplicates.setdefault(num, []).append({first, second})
    sims = [(num, couples) for num, ensembles in no_duplicates.items() for couples in ensembles]
    sims.sort()
    sims.reverse()
    return sims


def register(linter):  # pylint: disable=unused-argument
    """Replace _compute_sims when this pylint's algorithm is one checked against."""
    if similar is None:
        return
    try:
        digest = _algorithm_digest()
    except (AttributeError, OSError, TypeError):
        return
    if digest in VERIFIED.values():
        similar.SimilarChecker._compute_sims = _compute_sims
