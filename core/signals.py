"""What core announces to the apps that keep copies of the organisation trees.

- `subtree_moved(sender=<tree model>, move=SubtreeMove)`: a node of the area or party-organisation
  tree took a new parent or code, so it and every node under it have a new path. Sent *inside* the
  move's transaction, with `send` (not `send_robust`): a receiver keeps something derived from the
  paths (a copied path, a figure summed over ancestors) and must move it in the same transaction,
  or the move rolls back — a tree that moved without its copies would show people data they no
  longer look after. Receivers that do slow work register it with `transaction.on_commit`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.dispatch import Signal

subtree_moved = Signal()


@dataclass(frozen=True)
class SubtreeMove:
    node_id: int
    old_path: str
    new_path: str
    # Ids of the nodes strictly above the moved node, before and after the move (root first).
    old_ancestor_ids: tuple[int, ...]
    new_ancestor_ids: tuple[int, ...]

    @property
    def reparented(self) -> bool:
        return self.old_ancestor_ids != self.new_ancestor_ids
