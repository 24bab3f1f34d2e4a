from rest_framework import serializers

from enrollment.models import Patient


class PatientSerializer(serializers.ModelSerializer):
    """A patient as exports see it: pseudonymous, age instead of birth date."""

    study = serializers.CharField(source="site.study.code", read_only=True)
    site = serializers.CharField(source="site.code", read_only=True)
    age_at_consent = serializers.IntegerField(read_only=True)
    voided = serializers.BooleanField(source="is_voided", read_only=True)

    class Meta:
        model = Patient
        fields = [
            "subject_id", "study", "site", "sex", "age_at_consent", "consent_date",
            "consent_version", "status", "withdrawal_date", "withdrawal_reason", "voided",
            "voided_at", "void_reason", "version", "created_at", "updated_at",
        ]
        read_only_fields = fields
