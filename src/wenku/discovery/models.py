"""Categories: a tree managed in the admin. The search index lives in raw tables (see search/)."""

from __future__ import annotations

from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _


class Category(models.Model):
    name = models.CharField(_("name"), max_length=64)
    slug = models.SlugField(_("slug"), max_length=64, unique=True, allow_unicode=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,  # deleting a branch by accident would orphan its documents
        related_name="children",
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="unique_category_name")
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        try:
            return reverse("discovery:category", args=[self.slug])
        except NoReverseMatch:  # the category pages are not wired up yet
            return ""

    def descendant_ids(self) -> list[int]:
        """This category's id and those of everything below it (one query: the tree is small)."""
        children: dict[int | None, list[int]] = {}
        for pk, parent_id in Category.objects.values_list("pk", "parent_id"):
            children.setdefault(parent_id, []).append(pk)
        found, stack = [], [self.pk]
        while stack:
            pk = stack.pop()
            if pk in found:  # a cycle someone made in the admin must not hang a page
                continue
            found.append(pk)
            stack.extend(children.get(pk, []))
        return found

    def ancestors(self) -> list[Category]:
        """From the root down to this category, for breadcrumbs."""
        chain: list[Category] = []
        node: Category | None = self
        while node is not None and node not in chain:
            chain.insert(0, node)
            node = node.parent
        return chain


class DocumentView(models.Model):
    """Views of one document on one day: one row per document and day, not per view,
    so counting stays an UPDATE of one row and rankings sum a few rows per document."""

    document = models.ForeignKey(
        "documents.Document", on_delete=models.CASCADE, related_name="daily_views"
    )
    day = models.DateField(db_index=True)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("daily views")
        verbose_name_plural = _("daily views")
        constraints = [
            models.UniqueConstraint(fields=["document", "day"], name="unique_document_view_day")
        ]

    def __str__(self) -> str:
        return f"{self.document_id} {self.day}: {self.count}"
