"""Rebuild every case's search document (after a deploy that adds search, or a bulk import)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from cases.search import search_documents_rebuild


class Command(BaseCommand):
    help = "Rebuild the search documents of all cases from their published content."

    def handle(self, *args, **options) -> None:
        count = search_documents_rebuild()
        self.stdout.write(f"Rebuilt search documents for {count} cases.")
