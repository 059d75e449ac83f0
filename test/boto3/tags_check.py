"""boto3 against a running stack: AddTags, ListTags (paginated), DeleteTags and Search by tag.

Not part of `npm test` (boto3 is not a dependency of the project); run it by
hand against `npm start` when the tag operations change:

    source <(sed -n 's/^FS_/export FS_/p' .dev.vars)
    FS_ENDPOINT=http://127.0.0.1:8787 python3 test/boto3/tags_check.py

It creates one feature group (deleted at the end) and exits non-zero on the
first difference from what SageMaker's clients expect.
"""

import os
import uuid

import boto3
import botocore.exceptions

endpoint = os.environ.get("FS_ENDPOINT", "http://127.0.0.1:8787")
session = boto3.Session(
    aws_access_key_id=os.environ["FS_ROOT_ACCESS_KEY_ID"],
    aws_secret_access_key=os.environ["FS_ROOT_SECRET_ACCESS_KEY"],
    region_name="us-east-1",
)
sm = session.client("sagemaker", endpoint_url=endpoint)
name = f"boto3-tags-{uuid.uuid4().hex[:12]}"
arn = sm.create_feature_group(
    FeatureGroupName=name,
    RecordIdentifierFeatureName="id",
    EventTimeFeatureName="ts",
    FeatureDefinitions=[{"FeatureName": "id", "FeatureType": "String"}, {"FeatureName": "ts", "FeatureType": "String"}],
    OnlineStoreConfig={"EnableOnlineStore": True},
    Tags=[{"Key": "created", "Value": "yes"}],
)["FeatureGroupArn"]


def validation_error(call, **kwargs):
    try:
        call(**kwargs)
    except botocore.exceptions.ClientError as error:
        assert error.response["Error"]["Code"] == "ValidationException", error.response
        assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400, error.response
        return error.response["Error"]["Message"]
    raise AssertionError(f"{call.__name__} succeeded; expected ValidationException")


try:
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "created", "Value": "yes"}]
    added = sm.add_tags(ResourceArn=arn, Tags=[{"Key": f"k{i:02d}", "Value": f"v{i}"} for i in range(49)])
    assert len(added["Tags"]) == 49, added
    sm.add_tags(ResourceArn=arn, Tags=[{"Key": "created", "Value": "overwritten"}])

    pages = list(sm.get_paginator("list_tags").paginate(ResourceArn=arn, PaginationConfig={"PageSize": 50}))
    tags = [tag for page in pages for tag in page["Tags"]]
    assert len(tags) == 50 and tags[0] == {"Key": "created", "Value": "overwritten"}, tags

    assert "at most 50" in validation_error(sm.add_tags, ResourceArn=arn, Tags=[{"Key": "one-more", "Value": "v"}])
    assert "Tags[0].Key" in validation_error(sm.add_tags, ResourceArn=arn, Tags=[{"Key": "aws:reserved", "Value": "v"}])
    validation_error(sm.list_tags, ResourceArn=arn.replace(name, name + "-missing"))

    found = sm.search(Resource="FeatureGroup", SearchExpression={"Filters": [{"Name": "Tags.k07", "Operator": "Equals", "Value": "v7"}]})
    assert [r["FeatureGroup"]["FeatureGroupName"] for r in found["Results"]] == [name], found["Results"]

    sm.delete_tags(ResourceArn=arn, TagKeys=["k07", "not-there"])
    assert len(sm.list_tags(ResourceArn=arn, MaxResults=100)["Tags"]) == 49
    found = sm.search(Resource="FeatureGroup", SearchExpression={"Filters": [{"Name": "Tags.k07", "Operator": "Exists"}]})
    assert name not in [r["FeatureGroup"]["FeatureGroupName"] for r in found["Results"]]
    print(f"boto3 {boto3.__version__}: AddTags, ListTags (paginator), DeleteTags and Search by tag behave as SageMaker's clients expect")
finally:
    sm.delete_feature_group(FeatureGroupName=name)
