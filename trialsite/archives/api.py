"""The site archives API: list, request (data manager), progress and download."""

from django.http import FileResponse, Http404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from trialsite import files
from trialsite.archives import services
from trialsite.exports.api import ZipRenderer, _JsonErrors
from trialsite.exports.models import SiteArchive
from trialsite.exports.streaming import DATA_CUT_HEADER


class ArchiveOut(serializers.ModelSerializer):
    site = serializers.CharField(source="site.code")
    study = serializers.CharField(source="site.study.code")
    requested_by = serializers.CharField(source="requested_by.username")
    percent = serializers.SerializerMethodField()
    current_step = serializers.SerializerMethodField()
    download = serializers.SerializerMethodField()

    class Meta:
        model = SiteArchive
        fields = ["id", "study", "site", "occasion", "status", "percent", "current_step",
                  "requested_by", "created_at", "data_cut", "finished_at", "casebooks",
                  "size_bytes", "sha256", "manifest", "error", "download"]

    def _progress(self, archive):
        return getattr(archive, "progress", None)

    def get_percent(self, archive) -> int:
        if archive.status == SiteArchive.Status.READY:
            return 100
        progress = self._progress(archive)
        return progress.percent if progress else 0

    def get_current_step(self, archive) -> str:
        progress = self._progress(archive)
        return progress.current_step if progress else ""

    def get_download(self, archive) -> str | None:
        if archive.status != SiteArchive.Status.READY:
            return None
        return reverse("export-archive-download", kwargs={"pk": archive.pk})


class ArchiveIn(serializers.Serializer):
    site = serializers.RegexField(r"^[A-Z0-9]{2,12}$", required=False,
                                  help_text="The site's code: one archive.")
    study = serializers.CharField(max_length=32, required=False,
                                  help_text="The study's code: every site's archive (study "
                                            "close).")

    def validate(self, attrs):
        if bool(attrs.get("site")) == bool(attrs.get("study")):
            raise serializers.ValidationError({"site": "Give a site, or a study for all of "
                                                       "its sites."})
        return attrs


def _archives(user):
    return (services.archives_visible_to(user)
            .select_related("site__study", "requested_by", "progress"))


def _archive(user, pk):
    archive = _archives(user).filter(pk=pk).first()
    if archive is None:
        raise Http404
    return archive


class ArchiveListView(APIView):
    """Site archives you may download (newest first); POST (data manager) builds one for a
    site, or one per site of a study at its close."""

    @extend_schema(responses=ArchiveOut(many=True))
    def get(self, request):
        return Response(ArchiveOut(_archives(request.user)[:100], many=True).data)

    @extend_schema(request=ArchiveIn, responses={202: ArchiveOut(many=True),
                                                 400: OpenApiResponse(),
                                                 403: OpenApiResponse(),
                                                 404: OpenApiResponse()})
    def post(self, request):
        from django.core.exceptions import PermissionDenied

        from trialsite.models import Site, Study

        form = ArchiveIn(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        try:
            if data.get("site"):
                site = Site.objects.visible_to(request.user).select_related("study").filter(
                    code=data["site"]).first()
                if site is None:
                    raise Http404
                archives = [services.site_archive_request(actor=request.user, site=site)]
            else:
                study = Study.objects.visible_to(request.user).filter(code=data["study"]).first()
                if study is None:
                    raise Http404
                archives = services.study_close_archives(actor=request.user, study=study)
        except PermissionDenied as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_403_FORBIDDEN)
        fresh = _archives(request.user).filter(pk__in=[a.pk for a in archives])
        return Response(ArchiveOut(fresh, many=True).data, status=status.HTTP_202_ACCEPTED)


class ArchiveDetailView(APIView):
    """A site archive's progress; ``download`` is set when it is ready."""

    @extend_schema(responses=ArchiveOut)
    def get(self, request, pk):
        return Response(ArchiveOut(_archive(request.user, pk)).data)


class ArchiveDownloadView(_JsonErrors, APIView):
    """The archive's zip: for the site's investigators and the study's data managers."""

    renderer_classes = [ZipRenderer]

    @extend_schema(responses={(200, "application/zip"): OpenApiTypes.BINARY,
                              404: OpenApiResponse(description="Not yours, or not ready.")})
    def get(self, request, pk):
        from trialsite.archives.site_archive import archive_name

        archive = _archive(request.user, pk)
        if archive.status != SiteArchive.Status.READY:
            raise Http404
        try:
            stored = files.open_file(archive_name(archive))
        except FileNotFoundError:
            raise Http404 from None
        response = FileResponse(stored, as_attachment=True, filename=archive.file_name,
                                content_type="application/zip")
        response[DATA_CUT_HEADER] = archive.data_cut.isoformat()
        response["X-Checksum-SHA256"] = archive.sha256
        return response
