from django.db import migrations, models
from django.utils.text import slugify

import shops.regions


def fill(apps, schema_editor):
    Drive = apps.get_model("shops", "Drive")
    Shop = apps.get_model("shops", "Shop")
    for drive in Drive.objects.all():
        drive.region = shops.regions.region_for_postcode(drive.postcode)
        drive.save(update_fields=["region"])
    taken = set()
    for shop in Shop.objects.order_by("pk"):
        base = slugify(f"{shop.trade_name} {shop.town}")[:150] or "x"
        slug, number = base, 1
        while slug in taken:
            number += 1
            slug = f"{base}-{number}"
        taken.add(slug)
        shop.slug = slug
        shop.save(update_fields=["slug"])


class Migration(migrations.Migration):
    dependencies = [("shops", "0002_shopapitoken")]

    operations = [
        migrations.AddField(
            model_name="drive",
            name="region",
            field=models.CharField(
                choices=shops.regions.Region.choices, default="OTH", editable=False, max_length=3, verbose_name="region"
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="shop",
            name="slug",
            field=models.SlugField(db_index=False, editable=False, max_length=160, null=True, verbose_name="address of its page"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="shop",
            name="slug",
            field=models.SlugField(editable=False, max_length=160, unique=True, verbose_name="address of its page"),
        ),
    ]
