"""Issue 14: the supplier-side list pages run at most six queries whatever their rows — the user, their
shops and rights read once for the page and the menu, the list's count and its page joined to what the
rows show — and no more with 200 invoices than with 10."""
import datetime

import pytest

from models import PaymentBatch, StoredDocument

from tests.query_count import counting
from tests.web.test_query_counts import World, _get, world  # noqa: F401 (the fixture)

PAGES = ["/reglements/", "/reglements/?tri=fournisseur&ordre=desc&page=2", "/reglements/?page_lots=2", "/factures/",
         "/factures/?tri=montant&ordre=desc&page=2", "/messages/file", "/achats/"]


@pytest.mark.parametrize("url", PAGES)
def test_issue_14_list_pages_run_at_most_six_queries(client, world, url):
    # Past SEPA batches too (two pages of them), with and without their creator and their file.
    files = [StoredDocument.create(sha256=f"{n:064x}", media_type="application/xml", size=100) for n in range(25)]
    PaymentBatch.insert_many([{"shop": world.shop, "message_id": f"LOT-{n:03d}", "execution_date": datetime.date.today(),
                               "total": 100 * n, "count": 1, "created_by": world.user if n % 2 else None,
                               "document": files[n] if n % 3 else None} for n in range(25)]).execute()
    world.add(10)
    _get(client, url)
    with counting() as small:
        _get(client, url)
    world.add(190)
    _get(client, url)
    with counting() as large:
        _get(client, url)
    assert small[0] == large[0] <= 6, f"{url}: {small[0]} queries with 10 rows, {large[0]} with 200"
