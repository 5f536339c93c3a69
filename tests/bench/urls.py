from django.http import HttpResponse
from django.urls import include, path


def trivial(request):  # the same middleware stack as every page, no database, no template
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/trivial/", trivial), path("", include("project.urls"))]
