from django.contrib import admin

from .models import Node


@admin.register(Node)
class NodeAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "parent", "province", "city")
    list_filter = ("kind", "province")
    search_fields = ("code", "name", "city")
    autocomplete_fields = ("parent",)
    list_select_related = ("parent",)
