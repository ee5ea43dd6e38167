"""The API's generic layer: the same scoping as the pages, and writes through services."""

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as ModelValidationError
from django.db import models
from rest_framework import mixins, serializers, viewsets
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import PermissionDenied, Throttled
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.settings import api_settings
from rest_framework.validators import UniqueTogetherValidator, UniqueValidator

from firstline.core.ids import is_id
from firstline.core.parsers import PARSER_CLASSES
from firstline.core.scoping import OutOfScope, scoped_save

UNIQUENESS_VALIDATORS = (UniqueValidator, UniqueTogetherValidator)


def api_validation_error(error: ModelValidationError) -> ApiValidationError:
    """A model or service validation error as the API answers it: always an object, as the schema
    documents (core.schema), with errors of the whole object under non_field_errors."""
    whole = {NON_FIELD_ERRORS: error.messages}
    errors = error.message_dict if hasattr(error, "error_dict") else whole
    if NON_FIELD_ERRORS in errors:
        errors[api_settings.NON_FIELD_ERRORS_KEY] = errors.pop(NON_FIELD_ERRORS)
    return ApiValidationError(errors)


class ScopedRelatedField(serializers.PrimaryKeyRelatedField):
    """A reference to another object, which must be one the requesting user may see.

    The id must be a JSON whole number, as the schema says: 2.9, "2" or true is refused, not read as 2.
    """

    def __init__(self, model, **kwargs):
        self.model = model
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        return self.model.objects.visible_to(request.user if request else None)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if not is_id(data):
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(int(data))


class StrictCharField(serializers.CharField):
    """Text must arrive as a JSON string, as the schema says: 0 is not read as "0"."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictEmailField(StrictCharField, serializers.EmailField):
    pass


class ScopedModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer whose uniqueness is checked once, by the model, inside the scoped write, and
    whose text fields take only strings.

    DRF's own UniqueValidator and UniqueTogetherValidator look at every row and answer before the
    write is known to be allowed: "this email already exists" to someone who may not see that person.
    """

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
        models.EmailField: StrictEmailField,
    }

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            field.validators = [v for v in field.validators if not isinstance(v, UNIQUENESS_VALIDATORS)]
        return fields

    def get_validators(self):
        return [v for v in super().get_validators() if not isinstance(v, UNIQUENESS_VALIDATORS)]


class ScopedViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """List, read, create and update what the user may see; change only what they may change.

    Not visible is 404; visible but not changeable is 403.
    """

    select_related: tuple[str, ...] = ()
    service = staticmethod(scoped_save)

    def get_queryset(self):
        model = self.get_serializer_class().Meta.model
        return model.objects.visible_to(self.request.user).with_related(self.select_related)

    def _write(self, serializer, instance):
        for field, value in serializer.validated_data.items():
            setattr(instance, field, value)
        try:
            self.service(actor=self.request.user, instance=instance)
        except ModelValidationError as error:
            raise api_validation_error(error) from None
        except OutOfScope as error:
            raise PermissionDenied(str(error)) from None
        serializer.instance = instance

    def perform_create(self, serializer):
        self._write(serializer, serializer.Meta.model())

    def _check_changeable(self, instance):
        if not type(instance).objects.editable_by(self.request.user).filter(pk=instance.pk).exists():
            raise PermissionDenied(f"You may see this {instance._meta.verbose_name} but not change it.")

    def update(self, request, *args, **kwargs):
        # Refuse before validating, so that what the data says (or clashes with) is never an answer
        # to someone who may not change the object anyway.
        self._check_changeable(self.get_object())
        return super().update(request, *args, **kwargs)

    def perform_update(self, serializer):
        self._write(serializer, serializer.instance)


class TokenView(ObtainAuthToken):
    """A token for scripts, in exchange for a username and password; throttled like the sign-in page."""

    parser_classes = PARSER_CLASSES

    def post(self, request, *args, **kwargs):
        try:
            return super().post(request, *args, **kwargs)
        except ApiValidationError:
            # django-axes marks the request when the username is locked out; say so instead of
            # the generic "unable to log in", which would invite more guessing.
            if getattr(request, "axes_locked_out", False) or getattr(
                request._request, "axes_locked_out", False
            ):
                raise Throttled(detail="Too many failed sign-in attempts; try again in 15 minutes.") from None
            raise
