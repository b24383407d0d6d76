"""ListingCount: each shop's number of listings in each status, kept by triggers.

The network's dashboard counted 5,000,000 listings by status at each view (875 ms, and
1.8 s per shop for the CSV's table, docs/performance.md); it now reads these rows.

The triggers are statement-level, with transition tables, like those that keep
Book.shop_ids (catalog/migrations/0004): a stock import's 100,000-row INSERT or UPDATE
hands its rows to one function, which groups them by (shop, status) and applies one
upsert of a few rows, not 100,000 row-level calls. An UPDATE counts its rows' old values
out and their new ones in: one that leaves shop and status alone (stock, prices,
reservations: nearly all of them) nets to zero and writes nothing; one that moves a
listing to another status or shop moves its count. TRUNCATE empties the counts.

Concurrency. Two transactions adding to the same (shop, status) row: the upsert
(INSERT … ON CONFLICT DO UPDATE SET listings = listings + excluded.listings) adds to the
row as it is when the other commits, never to a stale copy. Each statement locks its
rows in (shop, status) order, so two statements can only wait for each other, not
deadlock; a transaction keeps its rows locked until it commits, so other writers that
change the status of the same shop's listings wait for it (those that only change
stock, prices or reservations do not: they write no count). A count that falls to zero is
deleted, so the table holds exactly the non-zero groups of a live count, and a deleted
shop (its listings deleted first, Listing.shop cascades) leaves no row behind. An insert
waiting on a row that another transaction deletes inserts it anew when that one commits
(ON CONFLICT in READ COMMITTED, the project's level).

The fill counts the listings with the table locked against writes (SHARE ROW EXCLUSIVE:
reads go on), in the migration's transaction, triggers already in place: no write can
fall between the count and the triggers. About 2 s at 5,400,000 listings.
"""

import django.db.models.deletion
from django.db import migrations, models

TRIGGERS = """
-- The rows are few and updated in place: room on their pages for HOT updates.
ALTER TABLE backoffice_listingcount SET (fillfactor = 50);

-- Adds `_deltas` to the (shop, status) rows, in key order (no deadlock between two
-- statements), and deletes those left at zero.
CREATE FUNCTION backoffice_listing_counts_add(_shop_ids bigint[], _statuses text[], _deltas bigint[])
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    emptied_shops bigint[];
    emptied_statuses text[];
BEGIN
    IF _shop_ids IS NULL THEN
        RETURN;
    END IF;
    WITH counted AS (
        INSERT INTO backoffice_listingcount AS counter (shop_id, status, listings)
        SELECT change.shop_id, change.status, change.delta
          FROM unnest(_shop_ids, _statuses, _deltas) AS change (shop_id, status, delta)
         ORDER BY change.shop_id, change.status
            ON CONFLICT (shop_id, status) DO UPDATE SET listings = counter.listings + excluded.listings
        RETURNING counter.shop_id, counter.status, counter.listings
    )
    SELECT array_agg(counted.shop_id), array_agg(counted.status) INTO emptied_shops, emptied_statuses
      FROM counted WHERE counted.listings = 0;
    IF emptied_shops IS NOT NULL THEN
        DELETE FROM backoffice_listingcount AS counter
         USING unnest(emptied_shops, emptied_statuses) AS emptied (shop_id, status)
         WHERE counter.shop_id = emptied.shop_id AND counter.status = emptied.status AND counter.listings = 0;
    END IF;
END $$;

CREATE FUNCTION backoffice_listings_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    shops bigint[];
    statuses text[];
    deltas bigint[];
BEGIN
    SELECT array_agg(change.shop_id), array_agg(change.status), array_agg(change.delta)
      INTO shops, statuses, deltas
      FROM (SELECT added.shop_id, added.status, count(*) AS delta
              FROM inserted_listings AS added
             GROUP BY added.shop_id, added.status) AS change;
    PERFORM backoffice_listing_counts_add(shops, statuses, deltas);
    RETURN NULL;
END $$;

CREATE FUNCTION backoffice_listings_updated() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    shops bigint[];
    statuses text[];
    deltas bigint[];
BEGIN
    -- Old rows out, new rows in: an update that keeps shop and status nets to zero.
    SELECT array_agg(change.shop_id), array_agg(change.status), array_agg(change.delta)
      INTO shops, statuses, deltas
      FROM (SELECT side.shop_id, side.status, sum(side.delta) AS delta
              FROM (SELECT earlier.shop_id, earlier.status, -1 AS delta FROM listings_before AS earlier
                    UNION ALL
                    SELECT later.shop_id, later.status, 1 AS delta FROM listings_after AS later) AS side
             GROUP BY side.shop_id, side.status
            HAVING sum(side.delta) <> 0) AS change;
    PERFORM backoffice_listing_counts_add(shops, statuses, deltas);
    RETURN NULL;
END $$;

CREATE FUNCTION backoffice_listings_deleted() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    shops bigint[];
    statuses text[];
    deltas bigint[];
BEGIN
    SELECT array_agg(change.shop_id), array_agg(change.status), array_agg(change.delta)
      INTO shops, statuses, deltas
      FROM (SELECT gone.shop_id, gone.status, -count(*) AS delta
              FROM deleted_listings AS gone
             GROUP BY gone.shop_id, gone.status) AS change;
    PERFORM backoffice_listing_counts_add(shops, statuses, deltas);
    RETURN NULL;
END $$;

CREATE FUNCTION backoffice_listings_truncated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM backoffice_listingcount;
    RETURN NULL;
END $$;

-- Writers wait from here to the migration's commit; readers do not.
LOCK TABLE catalog_listing IN SHARE ROW EXCLUSIVE MODE;

CREATE TRIGGER listing_inserted_counts AFTER INSERT ON catalog_listing
    REFERENCING NEW TABLE AS inserted_listings
    FOR EACH STATEMENT EXECUTE FUNCTION backoffice_listings_inserted();
CREATE TRIGGER listing_updated_counts AFTER UPDATE ON catalog_listing
    REFERENCING OLD TABLE AS listings_before NEW TABLE AS listings_after
    FOR EACH STATEMENT EXECUTE FUNCTION backoffice_listings_updated();
CREATE TRIGGER listing_deleted_counts AFTER DELETE ON catalog_listing
    REFERENCING OLD TABLE AS deleted_listings
    FOR EACH STATEMENT EXECUTE FUNCTION backoffice_listings_deleted();
CREATE TRIGGER listing_truncated_counts AFTER TRUNCATE ON catalog_listing
    FOR EACH STATEMENT EXECUTE FUNCTION backoffice_listings_truncated();

SET LOCAL work_mem = '64MB';
INSERT INTO backoffice_listingcount (shop_id, status, listings)
SELECT listing.shop_id, listing.status, count(*)
  FROM catalog_listing AS listing
 GROUP BY listing.shop_id, listing.status;
ANALYZE backoffice_listingcount;
"""

DROP_TRIGGERS = """
DROP TRIGGER IF EXISTS listing_inserted_counts ON catalog_listing;
DROP TRIGGER IF EXISTS listing_updated_counts ON catalog_listing;
DROP TRIGGER IF EXISTS listing_deleted_counts ON catalog_listing;
DROP TRIGGER IF EXISTS listing_truncated_counts ON catalog_listing;
DROP FUNCTION IF EXISTS backoffice_listings_inserted();
DROP FUNCTION IF EXISTS backoffice_listings_updated();
DROP FUNCTION IF EXISTS backoffice_listings_deleted();
DROP FUNCTION IF EXISTS backoffice_listings_truncated();
DROP FUNCTION IF EXISTS backoffice_listing_counts_add(bigint[], text[], bigint[]);
"""


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("catalog", "0015_personal_data_erased"),
        ("shops", "0011_database_defaults"),
    ]

    operations = [
        migrations.CreateModel(
            name="ListingCount",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "shop", "status", blank=True, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("status", models.CharField(max_length=16)),
                ("listings", models.IntegerField()),
                (
                    "shop",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="shops.shop",
                    ),
                ),
            ],
            options={
                "verbose_name": "listing count",
                "verbose_name_plural": "listing counts",
            },
        ),
        migrations.RunSQL(sql=TRIGGERS, reverse_sql=DROP_TRIGGERS),
    ]
