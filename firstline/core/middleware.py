"""Response headers that every page needs, set once instead of view by view."""

from django.utils.cache import patch_cache_control, patch_vary_headers


class PrivatePagesMiddleware:
    """Two promises about what a browser or proxy may keep.

    - Every response says it varies on `HX-Request`: list pages answer an htmx request with only their
      results, and a cache that does not know this hands that fragment back on Back or reload, so the
      person sees a bare table without layout or filters.
    - What a signed-in person sees is theirs alone and changes with every edit: `private, no-store`,
      so neither a shared proxy nor the browser's history keeps a copy after sign-out.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        patch_vary_headers(response, ["HX-Request"])
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_store=True)
        return response
