# A shop has one or more kinds, which head office manages as data (issue 18).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('shops', '0007_shop_answer_within_hours'),
    ]

    operations = [
        migrations.CreateModel(
            name='ShopKind',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.SlugField(help_text='Short and unchanging, e.g. games-toys.', max_length=40, unique=True, verbose_name='code')),
                ('name_fr', models.CharField(max_length=80, verbose_name='name in French')),
                ('name_en', models.CharField(max_length=80, verbose_name='name in English')),
                ('position', models.PositiveSmallIntegerField(default=0, help_text='Kinds are listed in this order, then by code.', verbose_name='position')),
            ],
            options={
                'verbose_name': 'kind of shop',
                'verbose_name_plural': 'kinds of shop',
                'ordering': ['position', 'code'],
            },
        ),
        migrations.AddField(
            model_name='shop',
            name='kinds',
            field=models.ManyToManyField(related_name='shops', to='shops.shopkind', verbose_name='kinds of shop'),
        ),
        # The kinds the product starts with, and every shop of before this one a bookshop
        # (the only kind there was). One statement each, whatever the number of shops.
        migrations.RunSQL(
            """
            INSERT INTO shops_shopkind (code, name_fr, name_en, position) VALUES
                ('bookshop', 'Librairie', 'Bookshop', 10),
                ('games-toys', 'Jeux et jouets', 'Games and toys', 20);
            INSERT INTO shops_shop_kinds (shop_id, shopkind_id)
                SELECT shop.id, kind.id FROM shops_shop shop JOIN shops_shopkind kind ON kind.code = shop.kind;
            """,
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.RemoveField(
            model_name='shop',
            name='kind',
        ),
    ]
