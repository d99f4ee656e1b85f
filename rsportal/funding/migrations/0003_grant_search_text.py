from django.db import migrations, models


def fill_search_fields(apps, schema_editor):
    from rsportal.funding.models import search_fields

    Grant = apps.get_model("funding", "Grant")
    grants = list(Grant.objects.using(schema_editor.connection.alias).only("pk", "title", "description"))
    for grant in grants:
        grant.search_text, grant.search_stems = search_fields(grant.title, grant.description)
    Grant.objects.using(schema_editor.connection.alias).bulk_update(grants, ["search_text", "search_stems"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("funding", "0002_grant_description_grant_initiated_by_and_more"),
    ]

    operations = [
        migrations.AddField(
            model_name="grant",
            name="search_text",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.AddField(
            model_name="grant",
            name="search_stems",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.RunPython(fill_search_fields, migrations.RunPython.noop),
    ]
