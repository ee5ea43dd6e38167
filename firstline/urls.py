from django.contrib.auth import views as auth_views
from django.urls import include, path

from firstline.core.views import job_progress
from firstline.kpis.views import home

urlpatterns = [
    path("", home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("firstline.kpis.urls")),
    path("", include("firstline.org.urls")),
    path("", include("firstline.pipeline.urls")),
    path("", include("firstline.targets.urls")),
    path("", include("firstline.territories.urls")),
    path("", include("firstline.io.urls")),
    path("jobs/<int:pk>/", job_progress, name="job_progress"),
    path("", include("firstline.deals.urls")),
    path("", include("firstline.relationships.urls")),
    path("", include("firstline.coaching.urls")),
    path("", include("firstline.talent.urls")),
    path("api/", include("firstline.api_urls")),
]

handler403 = "firstline.core.errors.permission_denied"
handler404 = "firstline.core.errors.page_not_found"
handler500 = "firstline.core.errors.server_error"
