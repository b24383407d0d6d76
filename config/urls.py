from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from backoffice import dashboard_views
from marketplace import views
from shops import views as shop_views
from shops.urls import public_urlpatterns as shop_pages

# Not translated: probes, the API and language switching keep one address.
urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("ping", views.ping, name="ping"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script
    # for the Content-Security-Policy to allow.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include("catalog.api.urls")),
    path("api/v1/", include("orders.api.urls")),
]

# French at the root, English under /en/.
urlpatterns += i18n_patterns(
    path("", shop_views.home, name="home"),
    path("shops/", include("shops.urls")),
    path("", include(shop_pages)),
    path("", include("catalog.urls")),
    path("", include("orders.urls")),
    path("", include("pickup.urls")),
    path("", include("orders.action_link_urls")),
    path("", include("accounts.urls")),
    path("", include("privacy.urls")),
    # The dashboard lives in the back office (its login, its look), before the admin's
    # own addresses catch everything under admin/.
    path("admin/dashboard/", admin.site.admin_view(dashboard_views.dashboard_home), name="dashboard"),
    path(
        "admin/dashboard/network/",
        admin.site.admin_view(dashboard_views.network_dashboard),
        name="dashboard_network",
    ),
    path(
        "admin/dashboard/drive/<slug:slug>/",
        admin.site.admin_view(dashboard_views.drive_dashboard),
        name="dashboard_drive",
    ),
    path(
        "admin/dashboard/shop/<int:pk>/",
        admin.site.admin_view(dashboard_views.shop_dashboard),
        name="dashboard_shop",
    ),
    path("admin/", admin.site.urls),
    prefix_default_language=False,
)

if settings.DEBUG:
    # The demo's mailbox: every message of the outbox, readable in the browser.
    urlpatterns += i18n_patterns(
        path("dev/mailbox/", views.mailbox, name="dev_mailbox"),
        path("dev/mailbox/<int:email_id>/", views.mailbox_message, name="dev_mailbox_message"),
        prefix_default_language=False,
    )

if settings.SERVE_MEDIA:
    # Uploaded files served by Django: fine for the demo and small sites; large ones
    # use S3 (AWS_STORAGE_BUCKET_NAME) or a web server in front.
    urlpatterns += [
        re_path(
            rf"^{settings.MEDIA_URL.strip('/')}/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}
        ),
    ]
