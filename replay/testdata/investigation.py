# Writes investigation/: the hand-made audit log of a scripted investigation of
# orders-api-down-after-config, in the format kube-apiserver v1.34 writes
# (--audit-log-format=json). Run: python3 replay/testdata/investigation.py
# The tests pin its commands, times and counts; replace it with a capture
# from a real cluster when there is one.
import json, uuid, datetime, urllib.parse
NS="crashlab-orders-api-down-after-config"
PAGE=datetime.datetime(2026,12,6,18,0,0,tzinfo=datetime.timezone.utc)
KUBECTL="kubectl/v1.34.1 (linux/amd64) kubernetes/93248f9"
LAB="crashlab/v0.0.0 (linux/amd64) kubernetes/$Format"
KUBELET="kubelet/v1.34.0 (linux/amd64) kubernetes/f28b4c9"
ADMIN={"username":"kubernetes-admin","groups":["kubeadm:cluster-admins","system:authenticated"]}
NODE={"username":"system:node:crashlab-control-plane","groups":["system:nodes","system:authenticated"]}
POD="orders-api-6d8f7c9b5d-x2x4q"; POD2="orders-api-6d8f7c9b5d-7kq9z"
ALLOW={"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":"RBAC: allowed by ClusterRoleBinding \"kubeadm:cluster-admins\" of ClusterRole \"cluster-admin\" to Group \"kubeadm:cluster-admins\""}
n=[0]
def ts(sec):
    t=PAGE+datetime.timedelta(seconds=sec)
    return t.strftime("%Y-%m-%dT%H:%M:%S.")+"%06dZ"%t.microsecond
def ev(sec, verb, uri, ref, user=ADMIN, ua=KUBECTL, code=200, obj=None, dur=0.004, stage="ResponseComplete", status=None, ann=ALLOW):
    n[0]+=1
    e={"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Request" if obj is not None else "Metadata",
       "auditID":str(uuid.UUID(int=0x5a1e0000000040008000000000000000+n[0])),"stage":stage,"requestURI":uri,"verb":verb,
       "user":user,"sourceIPs":["172.18.0.1"] if user is ADMIN else ["172.18.0.2"],"userAgent":ua,"objectRef":ref}
    if stage!="RequestReceived":
        st=status or {"metadata":{},"code":code}
        e["responseStatus"]=st
    if obj is not None: e["requestObject"]=obj
    e["requestReceivedTimestamp"]=ts(sec)
    e["stageTimestamp"]=ts(sec+(dur if stage!="RequestReceived" else 0))
    if stage!="RequestReceived" and ann: e["annotations"]=ann
    return e
def ref(res, name=None, ns=NS, group=None, sub=None):
    r={"resource":res}
    if ns: r["namespace"]=ns
    if name: r["name"]=name
    if group: r["apiGroup"]=group
    r["apiVersion"]="v1"
    if sub: r["subresource"]=sub
    return r
def core(res, name=None, ns=NS, sub=None, q=""):
    p="/api/v1/"+("namespaces/%s/"%ns if ns else "")+res+("/"+name if name else "")+("/"+sub if sub else "")
    return p+("?"+q if q else "")
def apps(res, name=None, ns=NS, q=""):
    p="/apis/apps/v1/namespaces/%s/%s"%(ns,res)+("/"+name if name else "")
    return p+("?"+q if q else "")
def fs(d): return urllib.parse.quote(",".join("%s=%s"%kv for kv in d), safe="")
old=[]; cur=[]
# before the page: the lab deploys the incident (its own requests)
old.append(ev(-4.2,"create",apps("deployments",q="fieldManager=crashlab"),ref("deployments",group="apps") | {"name":"orders-api"},ua=LAB,code=201,obj={"kind":"Deployment","apiVersion":"apps/v1","metadata":{"name":"orders-api","namespace":NS},"spec":{"replicas":2}}))
old.append(ev(1.02,"list",core("pods",q="labelSelector=app%3Dorders-api"),ref("pods"),ua=LAB))
# the kubelet updates pod status
old.append(ev(3.5,"patch",core("pods",POD,sub="status"),ref("pods",POD,sub="status"),user=NODE,ua=KUBELET,obj={"status":{"containerStatuses":[{"name":"app","restartCount":1}]}},ann={"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":""}))
# 1. kubectl get pods
old.append(ev(12.304512,"list",core("pods",q="limit=500"),ref("pods")))
# RequestReceived stage (the lab's policy omits it; another policy may not)
old.append(ev(20.1,"list",core("pods",ns="crashlab-indexer-stuck-pending",q="limit=500"),ref("pods",ns="crashlab-indexer-stuck-pending"),stage="RequestReceived"))
# another namespace
old.append(ev(20.1,"list",core("pods",ns="crashlab-indexer-stuck-pending",q="limit=500"),ref("pods",ns="crashlab-indexer-stuck-pending")))
# 2. describe pod
old.append(ev(31.010203,"get",core("pods",POD),ref("pods",POD)))
old.append(ev(31.021870,"get",core("pods",POD),ref("pods",POD)))
old.append(ev(31.030114,"list",core("events",q="fieldSelector="+fs([("involvedObject.uid","0b1f2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"),("involvedObject.name",POD),("involvedObject.namespace",NS)])+"&limit=500"),ref("events")))
# 3. logs --previous
old.append(ev(58.400001,"get",core("pods",POD),ref("pods",POD)))
old.append(ev(58.412345,"get",core("pods",POD,sub="log",q="container=app&previous=true"),ref("pods",POD,sub="log"),dur=0.03))
# a line cut by a crash, then rotation
oldtext="\n".join(json.dumps(e,separators=(",",":")) for e in old)+"\n"
oldtext+='{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"5a1e0000-0000-4000-8000-0000000000ff","stage":"Respo\n'
# 4. get deploy -o yaml
cur.append(ev(95.2,"get",apps("deployments","orders-api"),ref("deployments","orders-api",group="apps")))
# 5. a wrong edit: more memory
cur.append(ev(140.0,"get",apps("deployments","orders-api"),ref("deployments","orders-api",group="apps")))
cur.append(ev(171.5,"patch",apps("deployments","orders-api",q="fieldManager=kubectl-edit&fieldValidation=Strict"),ref("deployments","orders-api",group="apps"),
   obj={"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"app"}],"containers":[{"name":"app","resources":{"limits":{"memory":"256Mi"}}}]}}}},dur=0.02))
# 6. kubectl get pods -w (the watch completes late: logged after later requests)
watch=ev(180.3,"watch",core("pods",q="resourceVersion=48211&watch=true"),ref("pods"),dur=45.0)
cur.append(ev(180.29,"list",core("pods",q="limit=500"),ref("pods")))
# 7. a Secret that is not there, then the right one
cur.append(ev(225.6,"get",core("secrets","orders-database"),ref("secrets","orders-database"),code=404,
   status={"metadata":{},"status":"Failure","message":"secrets \"orders-database\" not found","reason":"NotFound","details":{"name":"orders-database","kind":"secrets"},"code":404}))
cur.append(watch)
cur.append(ev(231.05,"get",core("secrets","orders-db"),ref("secrets","orders-db")))
# noise: bad line
curtext_bad='this is not an audit event\n'
# 8. the right fix
cur.append(ev(262.0,"get",apps("deployments","orders-api"),ref("deployments","orders-api",group="apps")))
cur.append(ev(288.75,"patch",apps("deployments","orders-api",q="fieldManager=kubectl-edit&fieldValidation=Strict"),ref("deployments","orders-api",group="apps"),
   obj={"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"app"}],"containers":[{"$setElementOrder/env":[{"name":"DATABASE_URL"}],"env":[{"name":"DATABASE_URL","valueFrom":{"secretKeyRef":{"key":"database_url"}}}],"name":"app"}]}}}},dur=0.02))
# 9. rollout restart
cur.append(ev(300.1,"get",apps("deployments","orders-api"),ref("deployments","orders-api",group="apps")))
cur.append(ev(300.12,"patch",apps("deployments","orders-api",q="fieldManager=kubectl-rollout"),ref("deployments","orders-api",group="apps"),
   obj={"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":"2026-12-06T18:05:00Z"}}}}}))
# the lab checks
cur.append(ev(310.0,"list",apps("deployments",q="limit=500"),ref("deployments",group="apps"),ua=LAB))
# 10. delete a pod, with --wait
cur.append(ev(320.5,"delete",core("pods",POD2),ref("pods",POD2),obj={"kind":"DeleteOptions","apiVersion":"v1","propagationPolicy":"Background"}))
cur.append(ev(320.52,"list",core("pods",q="fieldSelector=metadata.name%3D"+POD2+"&limit=500"),ref("pods")))
cur.append(ev(320.53,"watch",core("pods",q="allowWatchBookmarks=true&fieldSelector=metadata.name%3D"+POD2+"&resourceVersion=48390&timeoutSeconds=31536000&watch=true"),ref("pods"),dur=1.2))
# the kubelet again
cur.append(ev(321.0,"get",core("pods",POD2),ref("pods",POD2),user=NODE,ua=KUBELET,ann={"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":""}))
lines=[json.dumps(e,separators=(",",":")) for e in cur]
curtext="\n".join(lines[:6])+"\n"+curtext_bad+"\n".join(lines[6:])+"\n"
# truncated last line (the API server was writing it)
curtext+=json.dumps(ev(330.0,"get",core("pods",POD),ref("pods",POD)),separators=(",",":"))[:120]
import os
d=os.path.join(os.path.dirname(os.path.abspath(__file__)),"investigation")
os.makedirs(d,exist_ok=True)
open(d+"/audit-2026-12-06T18-01-00.000.log","w").write(oldtext)
open(d+"/audit.log","w").write(curtext)
