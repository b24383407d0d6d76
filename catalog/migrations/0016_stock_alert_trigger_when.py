"""The stock alerts' listing trigger is called only for a listing in stock and online.

A row trigger's function is called for every row written, even when its first test
sends it back: a stock import creating 300,000 listings held for moderation spent 1.8 s
calling it for nothing (issue 22, docs/performance.md). A WHEN clause is tested by
PostgreSQL itself, without calling the function nor queueing the row. It holds the
function's own first two tests, so the alerts queued are the same.
"""

from django.db import migrations

TRIGGER = """
DROP TRIGGER IF EXISTS catalog_listing_stock_alert ON catalog_listing;
CREATE TRIGGER catalog_listing_stock_alert
    AFTER INSERT OR UPDATE OF status, quantity, reserved ON catalog_listing
    FOR EACH ROW WHEN (NEW.status = 'published' AND NEW.quantity > NEW.reserved)
    EXECUTE FUNCTION catalog_stock_alert_queue();
"""
TRIGGER_CALLED_FOR_EVERY_ROW = """
DROP TRIGGER IF EXISTS catalog_listing_stock_alert ON catalog_listing;
CREATE TRIGGER catalog_listing_stock_alert
    AFTER INSERT OR UPDATE OF status, quantity, reserved ON catalog_listing
    FOR EACH ROW EXECUTE FUNCTION catalog_stock_alert_queue();
"""


class Migration(migrations.Migration):
    dependencies = [("catalog", "0015_personal_data_erased")]

    operations = [migrations.RunSQL(TRIGGER, TRIGGER_CALLED_FOR_EVERY_ROW)]
