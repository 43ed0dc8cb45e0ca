"""Routes of a listing's contacts (owner, tenants, prospects, buyers) and of a contact's listings."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.models import Profile
from common.validation import validated
from properties import contact_links
from properties.models import ContactRole, PropertyContact
from properties.selectors import property_visible
from records import services as records
from tenants.models import Org
from tenants.pipeline.context import OrgViewMixin

_ERRORS = {
    400: OpenApiResponse(description="Field errors: an unknown role, a contact that does not exist."),
    403: OpenApiResponse(description="The listing is not yours to change (`not_yours_to_change`)."),
    404: OpenApiResponse(description="No such listing, link or contact in this org."),
    409: OpenApiResponse(description="The listing is archived."),
}


class ContactLinkSerializer(serializers.ModelSerializer):
    contact_name = serializers.CharField(source="contact.__str__", read_only=True)
    contact_email = serializers.EmailField(source="contact.email", read_only=True)

    class Meta:
        model = PropertyContact
        fields = ["id", "property", "contact", "contact_name", "contact_email", "role", "note", "created_at"]
        read_only_fields = fields


class ContactLinkCreateSerializer(serializers.Serializer):
    contact = serializers.UUIDField()
    role = serializers.ChoiceField(choices=ContactRole.choices)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class ContactLinkChangeSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=ContactRole.choices, required=False)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True)


class ContactListingSerializer(serializers.ModelSerializer):
    property_title = serializers.CharField(source="property.title", read_only=True)
    property_reference = serializers.CharField(source="property.reference", read_only=True)
    property_status = serializers.CharField(source="property.status", read_only=True)

    class Meta:
        model = PropertyContact
        fields = ["id", "property", "property_title", "property_reference", "property_status", "role", "note",
                  "created_at"]  # fmt: skip
        read_only_fields = fields


def _writable_listing(org: Org, actor: Profile, property_id: Any) -> None:
    """A write answers 404, 403 and 409 about the listing before anything about its body."""
    listing = property_visible(org=org, actor=actor, property_id=property_id)
    records.record_preconditions(listing, None, actor=actor)


class PropertyContactsView(OrgViewMixin, APIView):
    @extend_schema(responses={200: ContactLinkSerializer(many=True), 404: _ERRORS[404]})
    def get(self, request: Request, property_id: Any) -> Response:
        """The listing's contacts and their roles (those the caller sees), oldest link first."""
        listing = property_visible(org=self.org, actor=self.actor, property_id=property_id)
        links = contact_links.links_of_listing(org=self.org, actor=self.actor, listing=listing)
        return Response(ContactLinkSerializer(links, many=True).data)

    @extend_schema(request=ContactLinkCreateSerializer, responses={201: ContactLinkSerializer, **_ERRORS})
    def post(self, request: Request, property_id: Any) -> Response:
        """Link a contact as owner, tenant, prospect or buyer; the same contact in the same role twice is a 400."""
        _writable_listing(self.org, self.actor, property_id)
        body = validated(ContactLinkCreateSerializer, request.data)
        link = contact_links.contact_link(
            org=self.org,
            actor=self.actor,
            property_id=property_id,
            contact_id=body["contact"],
            role=body["role"],
            note=body["note"],
        )
        return Response(ContactLinkSerializer(link).data, status=status.HTTP_201_CREATED)


class PropertyContactDetailView(OrgViewMixin, APIView):
    @extend_schema(request=ContactLinkChangeSerializer, responses={200: ContactLinkSerializer, **_ERRORS})
    def patch(self, request: Request, property_id: Any, link_id: Any) -> Response:
        _writable_listing(self.org, self.actor, property_id)
        body = validated(ContactLinkChangeSerializer, request.data)
        link = contact_links.contact_link_update(
            org=self.org, actor=self.actor, property_id=property_id, link_id=link_id, data=body
        )
        return Response(ContactLinkSerializer(link).data)

    @extend_schema(responses={204: None, **_ERRORS})
    def delete(self, request: Request, property_id: Any, link_id: Any) -> Response:
        contact_links.contact_unlink(org=self.org, actor=self.actor, property_id=property_id, link_id=link_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ContactListingsView(OrgViewMixin, APIView):
    @extend_schema(responses={200: ContactListingSerializer(many=True), 404: _ERRORS[404]})
    def get(self, request: Request, contact_id: Any) -> Response:
        """The live listings a contact is linked to and the role in each, newest link first."""
        links = contact_links.links_of_contact(org=self.org, actor=self.actor, contact_id=contact_id)
        return Response(ContactListingSerializer(links, many=True).data)
