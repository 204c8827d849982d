"""Overrides of machina's `forum_permission` classes.

machina loads its classes with `machina.core.loading.get_class("forum_permission.checker", …)`,
which looks first in the first installed app whose dotted name ends in `.forum_permission`. This
package is that app (listed before `machina.apps.forum_permission`, with a label of its own and no
models), so machina's handler, forms, feeds, search and tracking all use the checker and view mixin
defined here; everything else still comes from machina.
"""
