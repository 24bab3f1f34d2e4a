from rest_framework import serializers

from trialsite.models import Site, Study


class StudySerializer(serializers.ModelSerializer):
    class Meta:
        model = Study
        fields = ["code", "registry_id", "title", "status"]


class SiteSerializer(serializers.ModelSerializer):
    study = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Site
        fields = ["code", "study", "name", "city", "country", "time_zone", "target_enrolment"]
