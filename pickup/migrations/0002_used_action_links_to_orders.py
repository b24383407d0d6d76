# The signed action links moved to orders (orders 0006): pickup forgets the model, the
# table stays (orders.UsedActionLink uses it).

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("pickup", "0001_initial"),
        ("orders", "0006_used_action_links_from_pickup"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="UsedActionLink")],
            database_operations=[],
        ),
    ]
