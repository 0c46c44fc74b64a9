"""Road chains: runs of segments between junctions, so shortest paths visit junctions only.

Most nodes of a road layer are vertices along a road (two segments meet);
only junctions and dead ends (any other number of segments) are decisions.
A chain is the run of segments from one junction to the next. Each segment
knows its chain, its place in it, whether it runs along or against the chain's
direction, the minutes from the chain's start to its own start, and how many
segments before and after it block travel forwards or backwards (one-way
streets), so that a point anywhere on a chain knows which of the chain's two
junctions it can reach, or be reached from, and in how many minutes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Chains", "chains_of"]


@dataclass(frozen=True)
class Chains:
    """The chain decomposition of a segment graph (arrays indexed by segment or chain)."""

    junction_of_node: np.ndarray  # node → junction number, -1 for a node inside a chain
    n_junctions: int
    chain: np.ndarray  # segment → chain
    along: np.ndarray  # segment runs in the chain's direction
    offset: np.ndarray  # minutes from the chain's start to the segment's chain-start end
    fwd_ok: np.ndarray  # the segment may be driven in the chain's direction
    bwd_ok: np.ndarray  # … against it
    fwd_blocks_before: np.ndarray  # segments before this one that block the chain's direction
    fwd_blocks_after: np.ndarray
    bwd_blocks_before: np.ndarray
    bwd_blocks_after: np.ndarray
    chain_start: np.ndarray  # chain → junction number of its start
    chain_end: np.ndarray
    chain_minutes: np.ndarray

    def edges(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Junction-to-junction edges (from, to, minutes) of every passable chain direction."""
        forward = np.ones(len(self.chain_start), dtype=bool)
        backward = np.ones(len(self.chain_start), dtype=bool)
        np.logical_and.at(forward, self.chain, self.fwd_ok)
        np.logical_and.at(backward, self.chain, self.bwd_ok)
        src = np.r_[self.chain_start[forward], self.chain_end[backward]]
        dst = np.r_[self.chain_end[forward], self.chain_start[backward]]
        return src, dst, np.r_[self.chain_minutes[forward], self.chain_minutes[backward]]

    def position(self, seg: np.ndarray, t: np.ndarray, seg_min: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
        """Minutes from the chain's start of points at fraction ``t`` along segments, and
        the fraction along the chain's direction."""
        u = np.where(self.along[seg], t, 1.0 - t)
        return self.offset[seg] + u * seg_min[seg], u

    def reach(self, seg: np.ndarray, u: np.ndarray) -> dict[str, np.ndarray]:
        """Which ways points (at ``u`` along their segment, chain direction) can go.

        ``from_start``/``from_end``: the point is reached from the chain's start/end
        junction; ``to_end``/``to_start``: from the point, the end/start junction is
        reached.
        """
        fwd, bwd = self.fwd_ok[seg], self.bwd_ok[seg]
        return {
            "from_start": (self.fwd_blocks_before[seg] == 0) & (fwd | (u == 0.0)),
            "from_end": (self.bwd_blocks_after[seg] == 0) & (bwd | (u == 1.0)),
            "to_end": (self.fwd_blocks_after[seg] == 0) & (fwd | (u == 1.0)),
            "to_start": (self.bwd_blocks_before[seg] == 0) & (bwd | (u == 0.0)),
        }


def chains_of(seg_a: np.ndarray, seg_b: np.ndarray, seg_min: np.ndarray, oneway: np.ndarray,
              n_nodes: int) -> Chains:
    """Cut a segment graph into chains between junctions (nodes not joining exactly two)."""
    n_seg = len(seg_a)
    ends = np.r_[seg_a, seg_b]
    degree = np.bincount(ends, minlength=n_nodes)
    order = np.argsort(ends, kind="stable")
    first = np.zeros(n_nodes + 1, dtype=np.int64)
    np.cumsum(degree, out=first[1:])
    incident = (order % n_seg).tolist()  # segments at each node, CSR by `first`
    first_l = first.tolist()
    a_l, b_l = seg_a.tolist(), seg_b.tolist()
    is_junction = (degree != 2).tolist()

    chain = [-1] * n_seg
    along = [True] * n_seg
    k_in_chain = [0] * n_seg
    starts: list[int] = []
    stops: list[int] = []
    members: list[list[int]] = []

    def walk(node: int, seg: int) -> None:
        cid = len(starts)
        run = []
        starts.append(node)
        while True:
            chain[seg] = cid
            forward = a_l[seg] == node
            along[seg] = forward
            k_in_chain[seg] = len(run)
            run.append(seg)
            node = b_l[seg] if forward else a_l[seg]
            if is_junction[node]:
                break
            lo = first_l[node]
            nxt = incident[lo] if incident[lo] != seg else incident[lo + 1]
            if chain[nxt] != -1:  # back where the walk began (a ring)
                break
            seg = nxt
        stops.append(node)
        members.append(run)

    for node in range(n_nodes):
        if is_junction[node]:
            for q in range(first_l[node], first_l[node + 1]):
                if chain[incident[q]] == -1:
                    walk(node, incident[q])
    for seg in range(n_seg):  # rings of two-segment nodes: one of their nodes becomes a junction
        if chain[seg] == -1:
            is_junction[a_l[seg]] = True
            walk(a_l[seg], seg)

    junction_nodes = np.flatnonzero(np.array(is_junction, dtype=bool))
    junction_of_node = np.full(n_nodes, -1, dtype=np.int64)
    junction_of_node[junction_nodes] = np.arange(len(junction_nodes))
    chain_a = np.array(chain, dtype=np.int64)
    along_a = np.array(along, dtype=bool)
    fwd_ok = along_a | ~oneway  # along the chain: allowed unless the line is one-way against it
    bwd_ok = ~along_a | ~oneway
    offset = np.zeros(n_seg)
    fb_before = np.zeros(n_seg, dtype=np.int64)
    fb_after = np.zeros(n_seg, dtype=np.int64)
    bb_before = np.zeros(n_seg, dtype=np.int64)
    bb_after = np.zeros(n_seg, dtype=np.int64)
    chain_minutes = np.zeros(len(members))
    for cid, run in enumerate(members):
        idx = np.array(run, dtype=np.int64)
        w = seg_min[idx]
        cum = np.cumsum(w)
        offset[idx] = cum - w
        chain_minutes[cid] = cum[-1]
        fblock = (~fwd_ok[idx]).astype(np.int64)
        bblock = (~bwd_ok[idx]).astype(np.int64)
        fb_before[idx] = np.cumsum(fblock) - fblock
        fb_after[idx] = fblock.sum() - np.cumsum(fblock)
        bb_before[idx] = np.cumsum(bblock) - bblock
        bb_after[idx] = bblock.sum() - np.cumsum(bblock)
    return Chains(
        junction_of_node=junction_of_node, n_junctions=len(junction_nodes), chain=chain_a,
        along=along_a, offset=offset, fwd_ok=fwd_ok, bwd_ok=bwd_ok,
        fwd_blocks_before=fb_before, fwd_blocks_after=fb_after,
        bwd_blocks_before=bb_before, bwd_blocks_after=bb_after,
        chain_start=junction_of_node[np.array(starts, dtype=np.int64)],
        chain_end=junction_of_node[np.array(stops, dtype=np.int64)],
        chain_minutes=chain_minutes)
