// The README.txt of every data export, in French: the organisation's people read it, whatever the
// language of their interface. Keep it in step with collectExportData (export.server.ts).
export const EXPORT_README = `Vos données dans Relais
=======================

Cette archive contient tout ce que Relais, l'intranet de contributions de votre organisation,
conserve à votre sujet au moment où elle a été préparée (article 15 du RGPD, droit d'accès).
Elle est personnelle : gardez-la en lieu sûr.

Contenu
-------

README.txt    ce fichier.
data.json     vos données, dans un format lisible par un programme (JSON). Le champ "version"
              indique la version de ce format ; "generated_at", la date de préparation (UTC).
photos/       les photos de vos contributions, telles que Relais les conserve (format WebP,
              sans métadonnées). Chaque nom de fichier est « contribution-photo.webp » ; data.json
              indique pour chaque photo le fichier correspondant (champ "file").

Les parties de data.json
------------------------

account            votre compte : nom, adresse e-mail, rôle, service, langue, préférences de
                   notification, refus d'être nommé dans les publications, date de création.
                   Votre mot de passe n'y figure pas : Relais n'en garde qu'une empreinte.
contributions      vos contributions, quel que soit leur état (brouillon, envoyée, approuvée…),
                   avec leur texte, leurs photos ("photos") et leur historique ("revisions") :
                   chaque étape (création, envoi, modification, décision de relecture) avec sa
                   date, son commentaire et, dans "data", l'état de la contribution à ce moment.
                   "by_you" vaut true quand l'étape est de votre fait.
comments           les commentaires que vous avez écrits.
thanks             les remerciements que vous avez donnés ("given") et ceux reçus sur vos
                   contributions ("received"), avec leur date.
review_decisions   les décisions de relecture que vous avez prises ("by_you", pour l'équipe
                   communication) et celles prises sur vos contributions
                   ("about_your_contributions").
notifications      les notifications que vous avez reçues, lues ou non.
publications       les publications de vos contributions à l'extérieur (site, réseaux sociaux…) :
                   canal, état, texte, dates, adresse du message publié et, quand Relais la
                   relève, son audience ("reach" : partages, mentions j'aime, réponses).
consent_records    les autorisations de droit à l'image que vous avez enregistrées, retirées ou
                   liées à une photo (sans le nom des personnes concernées : ce sont leurs
                   données).
sign_ins           vos connexions et les essais de connexion manqués sur votre compte (date,
                   adresse IP).
audit_entries      les autres entrées du journal d'audit qui vous concernent ou que vous avez
                   causées (changement de rôle, export, décision…).
statistics         les chiffres que les responsables de service voient à votre sujet, par jour.

Les autres personnes n'apparaissent pas par leur nom : leurs données leur appartiennent.

Une question, une rectification, une demande d'effacement ? Adressez-vous à l'administrateur
de Relais ou au délégué à la protection des données de votre organisation.
`;
