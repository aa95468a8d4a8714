from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from spotify import usage


@require_GET
@login_required
def usage_page(request):
    return render(request, "spotify/usage.html", {"usage": usage.summary()})
