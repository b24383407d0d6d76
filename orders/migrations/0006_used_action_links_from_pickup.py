# The signed action links moved from pickup to orders (issue 17): the model changes app,
# its table and rows stay where they are.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0005_reservation_limits_answer_deadline"),
        ("pickup", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="UsedActionLink",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("nonce", models.CharField(max_length=64, unique=True, verbose_name="link")),
                        ("action", models.CharField(max_length=20, verbose_name="action")),
                        ("used_at", models.DateTimeField(auto_now_add=True, verbose_name="used")),
                        (
                            "order",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="orders.order",
                                verbose_name="order",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "used action link",
                        "verbose_name_plural": "used action links",
                        "db_table": "pickup_usedactionlink",
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
