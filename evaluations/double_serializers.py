"""The API's shapes for independent double scoring and the agreement figures."""

from __future__ import annotations

from rest_framework import serializers

SCORE_FIELD = serializers.IntegerField(help_text="On the rubric version's scale.")


class DoubleRowSerializer(serializers.Serializer):
    criterion = serializers.CharField()
    organization = serializers.CharField(source="party", help_text="The party's organization, or 'The deal'.")
    party_id = serializers.IntegerField(allow_null=True)
    first = serializers.IntegerField(allow_null=True, help_text="Editor A's raw score (null: not visible to you).")
    second = serializers.IntegerField(allow_null=True, help_text="Editor B's raw score (null: not visible to you).")
    settled = serializers.IntegerField(allow_null=True, help_text="Null until both have submitted.")
    difference_id = serializers.IntegerField(source="reconciliation.pk", allow_null=True, default=None)
    note = serializers.CharField(source="reconciliation.note", allow_null=True, default=None)


class DoubleScoringSerializer(serializers.Serializer):
    statement = serializers.SerializerMethodField()
    first_submitted = serializers.BooleanField()
    second_submitted = serializers.BooleanField()
    settled = serializers.BooleanField()
    rows = DoubleRowSerializer(many=True)

    def get_statement(self, view) -> str:
        if view.settled:
            return "scored independently by two editors; settled"
        return "being scored independently by two editors"


class DoubleScoringRequestSerializer(serializers.Serializer):
    first_scorer = serializers.CharField(help_text="Username of the first editor.")
    second_scorer = serializers.CharField(help_text="Username of the second editor.")


class RawScoreWriteSerializer(serializers.Serializer):
    criterion = serializers.CharField(max_length=64)
    party_id = serializers.IntegerField(allow_null=True, required=False, default=None)
    value = serializers.IntegerField(min_value=-100, max_value=100)


class RawSheetSerializer(serializers.Serializer):
    scores = RawScoreWriteSerializer(many=True, allow_empty=False)

    def validate_scores(self, value: list) -> list:
        if len(value) > 500:
            raise serializers.ValidationError("at most 500 scores")
        return value


class SettleSerializer(serializers.Serializer):
    value = serializers.IntegerField(min_value=-100, max_value=100)
    note = serializers.CharField(max_length=2000)


class CriterionAgreementSerializer(serializers.Serializer):
    key = serializers.CharField()
    alpha = serializers.FloatField(allow_null=True)
    units = serializers.IntegerField(help_text="Pairs of scores compared.")


class AgreementSerializer(serializers.Serializer):
    measure = serializers.SerializerMethodField()
    alpha = serializers.FloatField(allow_null=True, help_text="Null when undefined (no pairs, or no variation).")
    cases = serializers.IntegerField(help_text="Published cases scored independently by two editors.")
    units = serializers.IntegerField(help_text="Pairs of scores compared.")
    criteria = CriterionAgreementSerializer(many=True)

    def get_measure(self, agreement) -> str:
        return "Krippendorff's alpha, ordinal"
